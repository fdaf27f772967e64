"""Strings of the Activations page: f and f', the formulas, the chain of derivatives through depth."""

_FORMULAS_EN = r"""
| | $f(x)$ | $f'(x)$ | PyTorch |
|---|---|---|---|
| Sigmoid | $\frac{1}{1+e^{-x}}$ | $\sigma(x)\,(1-\sigma(x)) \le 0.25$ | `torch.nn.Sigmoid()` |
| tanh | $\tanh x$ | $1-\tanh^2 x \le 1$ | `torch.nn.Tanh()` |
| ReLU | $\max(0, x)$ | 1 for $x>0$, 0 for $x<0$ | `torch.nn.ReLU()` |
| Leaky ReLU | $\max(ax, x)$ | 1 for $x>0$, $a$ for $x<0$ | `torch.nn.LeakyReLU(a)` |
| ELU | $x$, or $e^x-1$ for $x<0$ | 1, or $e^x$ for $x<0$ | `torch.nn.ELU()` |
| GELU | $x\,\Phi(x)$ | $\Phi(x) + x\,\varphi(x)$ | `torch.nn.GELU()` |
| SiLU | $x\,\sigma(x)$ | $\sigma(x)\,(1 + x\,(1-\sigma(x)))$ | `torch.nn.SiLU()` |

The curves are not drawn from these formulas: $f'$ is computed by autograd through the very
PyTorch modules the networks use.
"""
_FORMULAS_KO = r"""
| | $f(x)$ | $f'(x)$ | PyTorch |
|---|---|---|---|
| 시그모이드 | $\frac{1}{1+e^{-x}}$ | $\sigma(x)\,(1-\sigma(x)) \le 0.25$ | `torch.nn.Sigmoid()` |
| tanh | $\tanh x$ | $1-\tanh^2 x \le 1$ | `torch.nn.Tanh()` |
| ReLU | $\max(0, x)$ | $x>0$이면 1, $x<0$이면 0 | `torch.nn.ReLU()` |
| Leaky ReLU | $\max(ax, x)$ | $x>0$이면 1, $x<0$이면 $a$ | `torch.nn.LeakyReLU(a)` |
| ELU | $x$, $x<0$이면 $e^x-1$ | 1, $x<0$이면 $e^x$ | `torch.nn.ELU()` |
| GELU | $x\,\Phi(x)$ | $\Phi(x) + x\,\varphi(x)$ | `torch.nn.GELU()` |
| SiLU | $x\,\sigma(x)$ | $\sigma(x)\,(1 + x\,(1-\sigma(x)))$ | `torch.nn.SiLU()` |

곡선은 이 식으로 그린 것이 아닙니다. $f'$은 신경망이 실제로 쓰는 PyTorch 모듈을 autograd로 미분해 얻었습니다.
"""
_CHAIN_HOW_EN = r"""
Going backward, a hidden layer with $n$ units multiplies the gradient by the next layer's weights
and by its own slopes $f'(z)$. On average that scales it by
$\sqrt{n\,\mathrm{Var}(W)\,\mathbb{E}[f'(z)^2]}$, and the left chart multiplies one such factor per layer.

*Typical* pre-activations follow the forward pass of the same initialisation:
$z \sim \mathcal{N}(0, q)$ with $q = n\,\mathrm{Var}(W)\,\mathbb{E}[f(z_{prev})^2] + \mathrm{Var}(b)$,
starting from the MNIST batch. No gradient is measured for the formula.

The dotted lines multiply the chain by the size of each layer's input, since
$\partial loss / \partial W = \delta\,x^\top$, and pin it to the measured output layer.

- **Sigmoid:** $f' \le 0.25$, so every layer shrinks the gradient several times over.
- **ReLU with Kaiming init:** $\mathrm{Var}(W) = 2/n$ and $\mathbb{E}[f'^2] = 1/2$: the factor is exactly 1,
  and the gradient keeps its size through any depth.
"""
_CHAIN_HOW_KO = r"""
역전파에서 유닛이 $n$개인 은닉층은 기울기에 다음 층의 가중치와 자기 층의 기울기 $f'(z)$를 곱합니다.
평균적으로 기울기의 크기가 $\sqrt{n\,\mathrm{Var}(W)\,\mathbb{E}[f'(z)^2]}$배가 되며, 왼쪽 그래프는
층마다 이 값을 하나씩 곱한 것입니다.

*전형적인* 사전 활성값 $z$는 같은 초기화의 순전파를 따릅니다:
$z \sim \mathcal{N}(0, q)$, $q = n\,\mathrm{Var}(W)\,\mathbb{E}[f(z_{prev})^2] + \mathrm{Var}(b)$이며
MNIST 배치에서 출발합니다. 이 식에는 측정한 기울기가 전혀 쓰이지 않습니다.

점선은 $\partial loss / \partial W = \delta\,x^\top$이므로 이 곱에 각 층 입력의 크기를 곱하고,
출력층의 측정값에 맞춘 것입니다.

- **시그모이드:** $f' \le 0.25$이므로 층을 지날 때마다 기울기가 몇 배씩 줄어듭니다.
- **ReLU + Kaiming 초기화:** $\mathrm{Var}(W) = 2/n$, $\mathbb{E}[f'^2] = 1/2$이라 곱이 정확히 1입니다.
  층이 아무리 깊어도 기울기의 크기가 유지됩니다.
"""

# Names that stay in English in both languages (sigmoid gets its Korean name in KO).
_ACT_NAMES = {f"act.name.{key}": name for key, name in (
    ("tanh", "tanh"), ("relu", "ReLU"), ("leaky_relu", "Leaky ReLU"), ("elu", "ELU"), ("gelu", "GELU"),
    ("silu", "SiLU"))}

EN = {
    # activations page
    "act.title": "Activation functions and their slopes",
    "act.lead": "Back-propagation multiplies the gradient by the activation's slope $f'(z)$ at every layer. "
                "Where $f'$ is tiny (the **red** ends) almost nothing gets through; in the **blue** middle "
                "the gradient passes.",
    "act.pick": "Activations",
    "act.pick.none": "Pick at least one activation.",
    "act.slope": "Leaky ReLU slope a",
    "act.slope.help": "LeakyReLU(a) uses slope a for x < 0 instead of 0.",
    "act.range": "x range (±)",
    "act.shade.caption": "Solid: f(x). Dashed: f'(x). Red: the slope is below {percent}% of its peak, "
                         "so the gradient passing through is cut at least tenfold.",
    "act.formulas.title": "Formulas and PyTorch modules",
    "act.formulas": _FORMULAS_EN,
    **_ACT_NAMES,
    "act.name.sigmoid": "Sigmoid",
    "act.fig.f": "f(x)",
    "act.fig.df": "f'(x)  slope",
    "act.fig.peak": "max f' = {peak}",
    # the chain panel
    "act.chain.title": "The chain: why a deep sigmoid network stops learning",
    "act.chain.lead": "Going backward, every hidden layer multiplies the gradient by its weights and its "
                      "slope $f'(z)$. **Left:** those local derivatives multiplied layer by layer for "
                      "typical pre-activations (a formula). **Right:** the gradient norm of each layer of a "
                      "freshly initialised network of that depth, measured on a real MNIST batch. "
                      "The output layer is on the right of each chart.",
    "act.chain.pick": "Activations to compare",
    "act.chain.depth": "Hidden layers",
    "act.chain.init": "Weight initialisation",
    "act.init.default": "PyTorch default",
    "act.init.normal": "normal_ (std 1, the lesson's)",
    "act.init.xavier": "Xavier",
    "act.init.kaiming": "Kaiming (He)",
    "act.chain.computing": "Measuring gradients on MNIST…",
    "act.chain.left": "Formula: product of local derivatives",
    "act.chain.right": "Measured: ‖∂loss/∂W‖ per layer",
    "act.chain.left_axis": "relative to the output layer",
    "act.chain.right_axis": "gradient norm",
    "act.chain.x_axis": "layer (input side → output)",
    "act.chain.measured": "{name} measured",
    "act.chain.predicted": "{name} formula × layer input",
    "act.chain.metric": "{name}: first layer ÷ output layer",
    "act.chain.formula_ratio": "formula: {value}",
    "act.chain.metric.help": "How much of the output layer's gradient reaches the first layer, "
                             "measured (big number) and by the formula (below).",
    "act.chain.caption": "{depth} hidden layers of 256 units, {init} initialisation, seed 777, "
                         "the first 256 MNIST training images, cross-entropy loss. Log scale: "
                         "each grid line is ten times smaller.",
    "act.chain.how.title": "How the formula works",
    "act.chain.how": _CHAIN_HOW_EN,
}
KO = {
    # activations page
    "act.title": "활성화 함수와 기울기",
    "act.lead": "역전파는 층마다 기울기에 활성화 함수의 기울기 $f'(z)$를 곱합니다. $f'$이 아주 작은 곳"
                "(**빨간** 양 끝)에서는 기울기가 거의 전달되지 않고, **파란** 가운데에서는 잘 전달됩니다.",
    "act.pick": "활성화 함수",
    "act.pick.none": "활성화 함수를 하나 이상 고르세요.",
    "act.slope": "Leaky ReLU 기울기 a",
    "act.slope.help": "LeakyReLU(a)는 x < 0에서 0 대신 기울기 a를 씁니다.",
    "act.range": "x 범위 (±)",
    "act.shade.caption": "실선: f(x). 점선: f'(x). 빨간 영역: 기울기가 최댓값의 {percent}% 미만이라 "
                         "지나가는 기울기가 10분의 1 이하로 줄어드는 곳입니다.",
    "act.formulas.title": "수식과 PyTorch 모듈",
    "act.formulas": _FORMULAS_KO,
    **_ACT_NAMES,
    "act.name.sigmoid": "시그모이드",
    "act.fig.f": "f(x)",
    "act.fig.df": "f'(x)  기울기",
    "act.fig.peak": "f' 최댓값 = {peak}",
    # the chain panel
    "act.chain.title": "기울기의 곱: 깊은 시그모이드 신경망이 배우지 못하는 이유",
    "act.chain.lead": "역전파에서 은닉층은 층마다 기울기에 가중치와 기울기 $f'(z)$를 곱합니다. "
                      "**왼쪽:** 전형적인 사전 활성값에서 이 국소 미분들을 층마다 곱한 값(수식). "
                      "**오른쪽:** 같은 깊이로 새로 초기화한 신경망에서 실제 MNIST 배치로 측정한 "
                      "층별 기울기의 크기. 두 그래프 모두 오른쪽 끝이 출력층입니다.",
    "act.chain.pick": "비교할 활성화 함수",
    "act.chain.depth": "은닉층 수",
    "act.chain.init": "가중치 초기화",
    "act.init.default": "PyTorch 기본값",
    "act.init.normal": "normal_ (표준편차 1, 강의 설정)",
    "act.init.xavier": "Xavier",
    "act.init.kaiming": "Kaiming (He)",
    "act.chain.computing": "MNIST로 기울기를 재는 중…",
    "act.chain.left": "수식: 국소 미분의 곱",
    "act.chain.right": "측정값: 층별 ‖∂loss/∂W‖",
    "act.chain.left_axis": "출력층 대비 비율",
    "act.chain.right_axis": "기울기 크기",
    "act.chain.x_axis": "층 (입력 쪽 → 출력)",
    "act.chain.measured": "{name} 측정값",
    "act.chain.predicted": "{name} 수식 × 층 입력",
    "act.chain.metric": "{name}: 첫 층 ÷ 출력층",
    "act.chain.formula_ratio": "수식: {value}",
    "act.chain.metric.help": "출력층 기울기 중 얼마가 첫 층까지 도착하는지: 큰 숫자는 측정값, "
                             "아래는 수식으로 구한 값입니다.",
    "act.chain.caption": "은닉층 {depth}개 × 256 유닛, {init} 초기화, 시드 777, MNIST 학습 이미지 "
                         "앞 256장, 교차 엔트로피 손실. 로그 축: 눈금 한 칸마다 10배씩 작아집니다.",
    "act.chain.how.title": "수식은 이렇게 계산합니다",
    "act.chain.how": _CHAIN_HOW_KO,
}
