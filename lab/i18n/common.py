"""Strings shared by every page (navigation, language switch, errors) and the home page."""

EN = {
    "app.title": "ReLU Lab",
    "nav.home": "Home",
    "nav.train": "Train",
    "nav.draw": "Draw",
    "nav.activations": "Activations",
    "nav.optimizers": "Optimizers",
    "lang.label": "Language",
    "error.generic": "Something went wrong: {message}",
    # home page
    "home.title": "ReLU Lab: why sigmoid vanishes, what ReLU fixes",
    "home.lead": "A visual lab for the lesson **ReLU** of *모두를 위한 딥러닝 시즌2*. "
                 "Everything you see is computed by PyTorch on the spot.",
    "home.story.title": "The story in five steps",
    "home.story": (
        "1. **Forward.** The input $x$ is multiplied by a weight $W$, a bias $b$ is added, and the "
        "sigmoid squashes the result: $\\hat y = \\sigma(Wx + b)$.\n"
        "2. **Loss.** The prediction $\\hat y$ is compared with the label $y$: the loss says how wrong "
        "it is.\n"
        "3. **Backward.** The chain rule sends the gradient of the loss back through every layer: "
        "$\\frac{\\partial loss}{\\partial W} = "
        "\\frac{\\partial loss}{\\partial \\hat y}\\,\\sigma'(z)\\,x$.\n"
        "4. **Update.** Each weight takes a small step against its gradient: "
        "$W \\leftarrow W - lr \\cdot \\frac{\\partial loss}{\\partial W}$.\n"
        "5. **The catch.** $\\sigma'(z)$ is at most 0.25 and almost 0 at both ends. Every sigmoid layer "
        "multiplies the gradient by one such slope, so in a deep network the first layers receive "
        "almost nothing: the **vanishing gradient**."
    ),
    "home.diagram.title": "Forward and backward pass",
    "home.diagram.caption": "Black: the forward pass computes the loss. Red, dashed: back-propagation "
                            "carries the gradient back and multiplies it by σ'(z) on the way.",
    "home.relu.title": "ReLU: let the gradient through",
    "home.relu": (
        "$f(x) = \\max(0, x)$ has slope **1** wherever $x > 0$, so the gradient passes unchanged, "
        "and slope 0 where $x < 0$. Stacking ReLUs no longer multiplies the gradient by 0.25 per layer.\n\n"
        "In PyTorch activations are modules: `torch.nn.Sigmoid()`, `torch.nn.ReLU()`, "
        "`torch.nn.LeakyReLU(0.01)` (a small slope instead of 0 for $x < 0$), `torch.nn.Tanh()`."
    ),
    "home.optim.title": "torch.optim: many ways to take a step",
    "home.optim": (
        "The lesson lists ten optimizers of `torch.optim`: `SGD`, `Adadelta`, `Adagrad`, `Adam`, "
        "`SparseAdam`, `Adamax`, `ASGD`, `LBFGS`, `RMSprop`, `Rprop`. They differ in **which direction** "
        "they step (momentum) and **how far** (a step size per parameter). The Optimizers page races "
        "them on test surfaces and draws their family tree."
    ),
    "home.results.title": "The lesson's MNIST experiments",
    "home.results": "Same data, same Adam (lr 0.001), 15 epochs, batches of 100. Only the model changes. "
                    "Open either one on the Train page and watch it learn.",
    "home.results.help": "Test accuracy reported in the lesson.",
    "home.preset.lesson-softmax.name": "Softmax regression (one linear layer)",
    "home.preset.lesson-softmax.what": "784 → 10, no hidden layer.",
    "home.preset.lesson-softmax.go": "Train softmax regression",
    "home.preset.lesson-nn.name": "3-layer ReLU network",
    "home.preset.lesson-nn.what": "784 → 256 → 256 → 10 with ReLU, weights from torch.nn.init.normal_.",
    "home.preset.lesson-nn.go": "Train the 3-layer ReLU network",
    "home.next.title": "Where to next",
    "home.card.train": "Train MNIST live: pick the activation, depth, initialisation and optimizer; "
                       "watch loss, accuracy and each layer's gradient.",
    "home.card.draw": "Draw a digit with the mouse and see what your trained models say.",
    "home.card.activations": "Sigmoid, tanh, ReLU and friends with their slopes, and the chain of "
                             "slopes that makes gradients vanish.",
    "home.card.optimizers": "Race the torch.optim optimizers on test surfaces, and their family tree.",
    "home.card.classroom": "Teachers: open a class, share its QR code, and watch every student's run on one board.",
    "home.card.open": "Open {page}",
    "home.code.title": "The lesson's code (PyTorch)",
    "home.code": (
        "import torch\n\n"
        "# 784 -> 256 -> 256 -> 10, ReLU between the layers\n"
        "linear1 = torch.nn.Linear(784, 256, bias=True)\n"
        "linear2 = torch.nn.Linear(256, 256, bias=True)\n"
        "linear3 = torch.nn.Linear(256, 10, bias=True)\n"
        "relu = torch.nn.ReLU()\n\n"
        "# initialisation: weights drawn from a normal distribution\n"
        "torch.nn.init.normal_(linear1.weight)\n"
        "torch.nn.init.normal_(linear2.weight)\n"
        "torch.nn.init.normal_(linear3.weight)\n\n"
        "model = torch.nn.Sequential(linear1, relu, linear2, relu, linear3)\n"
        "criterion = torch.nn.CrossEntropyLoss()  # softmax is inside the loss\n"
        "optimizer = torch.optim.Adam(model.parameters(), lr=0.001)\n\n"
        "for epoch in range(15):\n"
        "    for X, Y in data_loader:  # X: (100, 784) images, Y: (100,) labels\n"
        "        optimizer.zero_grad()\n"
        "        cost = criterion(model(X), Y)  # forward pass and loss\n"
        "        cost.backward()  # back-propagation: the gradient of every weight\n"
        "        optimizer.step()  # update: every weight takes its step\n"
    ),
    # the forward/backward diagram
    "diag.input": "input",
    "diag.weight": "weights",
    "diag.prediction": "prediction",
    "diag.label": "label",
    "diag.loss": "loss",
    "diag.sigmoid": "sigmoid",
    "diag.update": "∂loss/∂W → update W",
}
KO = {
    "app.title": "ReLU 실험실",
    "nav.home": "홈",
    "nav.train": "학습",
    "nav.draw": "숫자 그리기",
    "nav.activations": "활성화 함수",
    "nav.optimizers": "옵티마이저",
    "lang.label": "언어",
    "error.generic": "문제가 생겼습니다: {message}",
    # home page
    "home.title": "ReLU 실험실: 시그모이드의 기울기는 왜 사라지고, ReLU는 무엇을 고치나",
    "home.lead": "*모두를 위한 딥러닝 시즌2*의 **ReLU** 강의를 눈으로 확인하는 실험실입니다. "
                 "화면의 모든 값은 그 자리에서 PyTorch로 계산합니다.",
    "home.story.title": "다섯 단계로 보는 이야기",
    "home.story": (
        "1. **순전파.** 입력 $x$에 가중치 $W$를 곱하고 편향 $b$를 더한 뒤 시그모이드에 통과시킵니다: "
        "$\\hat y = \\sigma(Wx + b)$.\n"
        "2. **손실.** 예측 $\\hat y$를 정답 레이블 $y$와 비교해, 얼마나 틀렸는지를 손실로 잽니다.\n"
        "3. **역전파.** 연쇄 법칙으로 손실의 기울기를 층마다 거꾸로 전달합니다: "
        "$\\frac{\\partial loss}{\\partial W} = "
        "\\frac{\\partial loss}{\\partial \\hat y}\\,\\sigma'(z)\\,x$.\n"
        "4. **업데이트.** 각 가중치를 기울기의 반대 방향으로 조금 옮깁니다: "
        "$W \\leftarrow W - lr \\cdot \\frac{\\partial loss}{\\partial W}$.\n"
        "5. **문제.** $\\sigma'(z)$는 최대 0.25이고 양 끝에서는 거의 0입니다. 시그모이드 층을 지날 때마다 "
        "이런 기울기가 한 번씩 곱해지므로, 깊은 신경망의 앞쪽 층에는 기울기가 거의 도착하지 않습니다. "
        "이것이 **기울기 소실(vanishing gradient)** 입니다."
    ),
    "home.diagram.title": "순전파와 역전파",
    "home.diagram.caption": "검은 화살표: 순전파로 손실을 계산합니다. 빨간 점선: 역전파가 기울기를 거꾸로 "
                            "전달하며 도중에 σ'(z)를 곱합니다.",
    "home.relu.title": "ReLU: 기울기를 그대로 통과시키기",
    "home.relu": (
        "$f(x) = \\max(0, x)$는 $x > 0$인 곳에서 기울기가 **1**이라 기울기가 그대로 전달되고, "
        "$x < 0$인 곳에서는 기울기가 0입니다. ReLU를 여러 층 쌓아도 층마다 0.25씩 곱해지지 않습니다.\n\n"
        "PyTorch에서는 활성화 함수도 모듈입니다: `torch.nn.Sigmoid()`, `torch.nn.ReLU()`, "
        "`torch.nn.LeakyReLU(0.01)`($x < 0$에서 0 대신 작은 기울기), `torch.nn.Tanh()`."
    ),
    "home.optim.title": "torch.optim: 한 걸음을 내딛는 여러 방법",
    "home.optim": (
        "강의는 `torch.optim`의 옵티마이저 열 가지를 소개합니다: `SGD`, `Adadelta`, `Adagrad`, `Adam`, "
        "`SparseAdam`, `Adamax`, `ASGD`, `LBFGS`, `RMSprop`, `Rprop`. 이들은 **어느 방향으로** 갈지(관성)와 "
        "**얼마나 멀리** 갈지(변수마다 다른 보폭)에서 서로 다릅니다. 옵티마이저 페이지에서 시험용 곡면 위의 "
        "경주와 옵티마이저 계보도를 볼 수 있습니다."
    ),
    "home.results.title": "강의의 MNIST 실험",
    "home.results": "같은 데이터, 같은 Adam(lr 0.001), 15 에폭, 배치 크기 100. 모델만 다릅니다. "
                    "학습 페이지에서 직접 열어 학습되는 모습을 지켜보세요.",
    "home.results.help": "강의에서 보고한 테스트 정확도입니다.",
    "home.preset.lesson-softmax.name": "소프트맥스 회귀 (선형층 하나)",
    "home.preset.lesson-softmax.what": "784 → 10, 은닉층 없음.",
    "home.preset.lesson-softmax.go": "소프트맥스 회귀 학습하기",
    "home.preset.lesson-nn.name": "3층 ReLU 신경망",
    "home.preset.lesson-nn.what": "784 → 256 → 256 → 10, ReLU 사용, 가중치는 torch.nn.init.normal_로 초기화.",
    "home.preset.lesson-nn.go": "3층 ReLU 신경망 학습하기",
    "home.next.title": "다음으로 가 볼 곳",
    "home.card.train": "MNIST를 실시간으로 학습합니다. 활성화 함수, 깊이, 초기화, 옵티마이저를 고르고 "
                       "손실, 정확도, 층별 기울기를 지켜보세요.",
    "home.card.draw": "마우스로 숫자를 그리고, 학습한 모델이 무엇이라고 답하는지 보세요.",
    "home.card.activations": "시그모이드, tanh, ReLU 등 활성화 함수와 그 기울기, 그리고 기울기를 "
                             "사라지게 만드는 기울기의 곱을 봅니다.",
    "home.card.optimizers": "torch.optim 옵티마이저들의 곡면 위 경주와 옵티마이저 계보도.",
    "home.card.classroom": "선생님용: 수업을 열고 QR 코드를 나눠 주면, 모든 학생의 학습을 한 화면에서 봅니다.",
    "home.card.open": "{page} 열기",
    "home.code.title": "강의 코드 (PyTorch)",
    "home.code": (
        "import torch\n\n"
        "# 784 -> 256 -> 256 -> 10, 층 사이에 ReLU\n"
        "linear1 = torch.nn.Linear(784, 256, bias=True)\n"
        "linear2 = torch.nn.Linear(256, 256, bias=True)\n"
        "linear3 = torch.nn.Linear(256, 10, bias=True)\n"
        "relu = torch.nn.ReLU()\n\n"
        "# 초기화: 가중치를 정규분포에서 뽑습니다\n"
        "torch.nn.init.normal_(linear1.weight)\n"
        "torch.nn.init.normal_(linear2.weight)\n"
        "torch.nn.init.normal_(linear3.weight)\n\n"
        "model = torch.nn.Sequential(linear1, relu, linear2, relu, linear3)\n"
        "criterion = torch.nn.CrossEntropyLoss()  # 소프트맥스는 손실 함수 안에 들어 있습니다\n"
        "optimizer = torch.optim.Adam(model.parameters(), lr=0.001)\n\n"
        "for epoch in range(15):\n"
        "    for X, Y in data_loader:  # X: (100, 784) 이미지, Y: (100,) 레이블\n"
        "        optimizer.zero_grad()\n"
        "        cost = criterion(model(X), Y)  # 순전파와 손실\n"
        "        cost.backward()  # 역전파: 모든 가중치의 기울기\n"
        "        optimizer.step()  # 업데이트: 모든 가중치가 한 걸음씩 이동\n"
    ),
    # the forward/backward diagram
    "diag.input": "입력",
    "diag.weight": "가중치",
    "diag.prediction": "예측",
    "diag.label": "정답 레이블",
    "diag.loss": "손실",
    "diag.sigmoid": "시그모이드",
    "diag.update": "∂loss/∂W → W 업데이트",
}
