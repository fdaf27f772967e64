"""What a page looks like to a reader, measured in the browser: clipped text, words broken inside, axe-core.

One JavaScript call (LAYOUT_JS) walks every visible element of a page and returns the offenders
with their text: an element whose text is wider than its box (scrollWidth > clientWidth) and
cut or spilling out, and a line break between two letters of one word. axe-core (npm, installed
under tests/axe by scripts/test.sh) is injected with Playwright's add_script_tag and run with the
WCAG 2.0/2.1/2.2 A and AA rules. And what a hand does: fold or open the sidebar by its own button,
Tab through a page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]

# Skipped: what is not shown (display none, the folded sidebar, visually hidden text for screen
# readers), SVG (measured by the chart tests), KaTeX (its glyphs sit on several baselines) and code
# (a code block scrolls; its lines are code, not words).
LAYOUT_JS = r"""() => {
  const out = [];
  const sidebar = document.querySelector('[data-testid=stSidebar]');
  const folded = sidebar && sidebar.dataset.collapsed === 'true';  // Streamlit 1.67 marks it so
  const hidden = 'svg, .katex, pre, code, script, style, noscript, .relulab-sr, '
    + '[data-testid=stSidebarCollapsedControl]';
  const skip = el => el.closest(hidden)
    || (folded && sidebar.contains(el)) || !el.checkVisibility({checkVisibilityCSS: true});
  const word = /[\p{L}\p{N}]{2,}/gu;
  const page = document.scrollingElement;
  if (page.scrollWidth > page.clientWidth + 1)
    out.push({kind: 'page', text: `the page scrolls sideways: ${page.scrollWidth} > ${page.clientWidth}`});
  for (const el of document.querySelectorAll('[data-testid=stApp] *')) {
    if (skip(el)) continue;
    const style = getComputedStyle(el);
    const field = el.tagName === 'INPUT' && ['text', 'search', ''].includes(el.type) && el.value;
    const text = (field ? el.value : el.innerText || '').trim();
    // Cut: a box that hides what is wider than it; spilling: a box narrower than its own text.
    const cuts = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (text && el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1 && style.display !== 'inline'
        && (cuts || field || (own && style.overflowX === 'visible')))
      out.push({kind: 'overflow', text: text.slice(0, 80), scroll: el.scrollWidth, client: el.clientWidth,
                tag: el.tagName, testid: el.closest('[data-testid]')?.dataset.testid});
    for (const node of el.childNodes) {
      if (node.nodeType !== 3 || !node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      if (range.getClientRects().length < 2) continue;  // one line: nothing broken
      for (const m of node.textContent.matchAll(word)) {  // each word: on one line, or broken inside
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const rects = [...range.getClientRects()].filter(r => r.width);
        const tops = rects.map(r => r.top), height = Math.min(...rects.map(r => r.height));
        if (rects.length > 1 && Math.max(...tops) - Math.min(...tops) > height / 2)
          out.push({kind: 'broken word',
                    text: node.textContent.slice(Math.max(0, m.index - 20), m.index + m[0].length + 20),
                    word: m[0], testid: el.closest('[data-testid]')?.dataset.testid});
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


SETTLE_JS = """async () => {
  await document.fonts.ready;
  const main = () => document.querySelector('[data-testid=stMainBlockContainer]')?.getBoundingClientRect().width;
  let last = -1, same = 0;
  for (let i = 0; i < 100 && same < 3; i++) {  // the sidebar slides in: the main column's width moves for a while
    await new Promise(r => setTimeout(r, 100));
    const now = main();
    same = now === last ? same + 1 : 0;
    last = now;
  }
}"""


def settle(pg) -> None:
    """Wait for the fonts and until the main column's width holds still (the sidebar's slide has ended)."""
    pg.evaluate(SETTLE_JS)


def layout_offenders(pg) -> list[dict]:
    """Every clipped text and every word broken across lines on the page now."""
    return pg.evaluate(LAYOUT_JS)


def axe_violations(pg) -> list[dict]:
    """axe-core's WCAG 2.x A/AA violations on the page now (axe injected once per document)."""
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run `npm ci --prefix tests/axe` (scripts/test.sh does)")
    if not pg.evaluate("() => typeof axe !== 'undefined'"):
        pg.add_script_tag(path=str(AXE))
    return pg.evaluate(AXE_RUN_JS, WCAG_TAGS)


def describe(where: str, offenders: list[dict], violations: list[dict]) -> list[str]:
    """Readable lines for a failure message: what is wrong, where, with its text."""
    lines = [f"{where}: {o['kind']} {o.get('word', '')!r} in {o['text']!r} ({o.get('testid')}"
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


def toggle_sidebar(pg) -> bool:
    """Open a folded sidebar or fold an open one with its own button, as a hand would; returns it now open."""
    sidebar = pg.locator("[data-testid=stSidebar]")
    was_open = sidebar.get_attribute("data-collapsed") == "false"
    if was_open:
        sidebar.hover()  # the fold button shows on hover
        pg.locator("[data-testid=stSidebarCollapseButton] button").click()
    else:
        pg.locator("[data-testid=stExpandSidebarButton]").click()
    pg.wait_for_function("(open) => document.querySelector('[data-testid=stSidebar]')"
                         ".dataset.collapsed === String(!open)", arg=not was_open)
    settle(pg)
    return not was_open


def tab_to(pg, test_js: str, key: str = "Tab", most: int = 150) -> None:
    """Press Tab (or Shift+Tab) until test_js (on document.activeElement, e) holds; fail after `most`."""
    seen = []
    for _ in range(most):
        pg.keyboard.press(key)
        found = pg.evaluate(f"""() => {{ const e = document.activeElement;
          return [!!e && !!({test_js}), e ? (e.tagName + ' ' + (e.innerText || e.ariaLabel || '')).slice(0, 40) : ''];
        }}""")
        if found[0]:
            return
        seen.append(found[1])
    raise AssertionError(f"{key} never reached {test_js}; it went through {seen}")
