"""What a page looks like to a reader, measured in the browser: clipped text, words broken inside, axe-core.

One JavaScript call (LAYOUT_JS) walks every visible element of a page and returns the offenders
with their text: an element whose text is wider than its box (scrollWidth > clientWidth) and
cut or spilling out, and a line break between two letters of one word. axe-core (npm, installed
under tests/axe by scripts/test.sh) is injected with Playwright's add_script_tag and run with the
WCAG 2.0/2.1/2.2 A and AA rules.
"""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]

# Skipped: what is not shown (display none, the folded sidebar, visually hidden text for screen
# readers), SVG (measured by the chart tests), KaTeX (its glyphs sit on several baselines) and code
# (a code block scrolls; its lines are code, not words).
LAYOUT_JS = r"""() => {
  const out = [];
  const sidebar = document.querySelector('[data-testid=stSidebar]');
  const folded = sidebar && sidebar.getAttribute('aria-expanded') !== 'true';
  const skip = el => el.closest('svg, .katex, pre, code, script, style, noscript, [data-testid=stSidebarCollapsedControl], .relulab-sr')
    || (folded && sidebar.contains(el)) || !el.checkVisibility({checkVisibilityCSS: true});
  const word = /[\p{L}\p{N}]/u;
  const page = document.scrollingElement;
  if (page.scrollWidth > page.clientWidth + 1)
    out.push({kind: 'page', text: `the page scrolls sideways: ${page.scrollWidth} > ${page.clientWidth}`});
  for (const el of document.querySelectorAll('[data-testid=stApp] *')) {
    if (skip(el)) continue;
    const style = getComputedStyle(el);
    const text = (el.innerText || '').trim();
    if (text && el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1
        && !['auto', 'scroll'].includes(style.overflowX) && style.display !== 'inline')
      out.push({kind: 'overflow', text: text.slice(0, 80), scroll: el.scrollWidth, client: el.clientWidth,
                tag: el.tagName, testid: el.closest('[data-testid]')?.dataset.testid});
    for (const node of el.childNodes) {
      if (node.nodeType !== 3 || !node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      if (range.getClientRects().length < 2) continue;  // one line: nothing broken
      const s = node.textContent;
      let last = null;
      for (let i = 0; i < s.length; i++) {
        range.setStart(node, i); range.setEnd(node, i + 1);
        const r = range.getClientRects()[0];
        if (!r || !r.width) continue;
        if (last && r.top > last.top + last.height / 2 && i > 0 && word.test(s[i - 1]) && word.test(s[i]))
          out.push({kind: 'broken word', text: s.slice(Math.max(0, i - 16), i) + '|' + s.slice(i, i + 16),
                    testid: el.closest('[data-testid]')?.dataset.testid});
        last = r;
      }
    }
  }
  return out;
}"""

AXE_RUN_JS = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                              why: (n.failureSummary || '').split('\\n').slice(1, 2).join(' ')}))}));
}"""


def layout_offenders(pg) -> list[dict]:
    """Every clipped text and every word broken across lines on the page now."""
    return pg.evaluate(LAYOUT_JS)


def axe_violations(pg) -> list[dict]:
    """axe-core's WCAG 2.x A/AA violations on the page now (axe injected once per document)."""
    if not pg.evaluate("() => typeof axe !== 'undefined'"):
        pg.add_script_tag(path=str(AXE))
    return pg.evaluate(AXE_RUN_JS, WCAG_TAGS)


def describe(where: str, offenders: list[dict], violations: list[dict]) -> list[str]:
    """Readable lines for a failure message: what is wrong, where, with its text."""
    lines = [f"{where}: {o['kind']} {o['text']!r} ({o.get('testid')}"
             + (f", {o['scroll']} px in {o['client']} px)" if 'scroll' in o else ")") for o in offenders]
    for v in violations:
        lines += [f"{where}: axe {v['id']} ({v['impact']}): {v['help']}"]
        lines += [f"    {n['target']} :: {n['why']} :: {n['html']}" for n in v["nodes"][:6]]
    return lines


def above_the_fold(pg, selector: str) -> dict | None:
    """The first element matching selector: its box and whether it lies wholly in the first screenful."""
    return pg.evaluate("""(sel) => {
      const el = document.querySelector(sel);
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return {top: r.top, bottom: r.bottom, height: r.height, viewport: innerHeight,
              inside: r.top >= 0 && r.bottom <= innerHeight + 1 && r.height > 0};
    }""", selector)
