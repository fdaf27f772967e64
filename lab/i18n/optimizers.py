"""Strings of the Optimizers page: the race on 2-D surfaces, the optimizers, the family tree."""

EN = {
    # optimizers page
    "opt.title": "Optimizers race",
    "opt.lead": "Every optimizer starts from the same point on a 2-D surface and takes the same number of "
                "steps. Each step is `torch.optim` itself on a 2-element parameter: what you see is what "
                "PyTorch does.",
    "opt.surface": "Surface",
    "opt.racers": "Optimizers",
    "opt.racers.none": "Pick at least one optimizer.",
    "opt.steps": "Steps",
    "opt.lrs": "Learning rates",
    "opt.lrs.caption": "Each optimizer has its own default for each surface, tuned so it makes progress "
                       "without leaving the map. Change one and only that optimizer is recomputed.",
    "opt.computing": "Racing…",
    "opt.race.caption": "Press ▶ to replay the race; drag the slider to scrub. Star: the minimum. "
                        "Cross: the start. Contours are on a log scale.",
    "opt.loss.title": "Loss against step",
    "opt.col.optimizer": "optimizer",
    "opt.col.lr": "lr",
    "opt.col.end": "end point",
    "opt.col.distance": "distance to minimum",
    "opt.col.gap": "loss − minimum",
    "opt.col.status": "status",
    "opt.status.ok": "finished",
    "opt.status.diverged": "diverged at step {step}",
    "opt.code.title": "The PyTorch code of one racer",
    "opt.code.pick": "Optimizer",
    "surface.beale": "Beale",
    "surface.rosenbrock": "Rosenbrock",
    "surface.saddle": "Saddle point",
    "surface.valley": "Long narrow valley",
    "surface.rastrigin": "Rastrigin",
    "surface.beale.about": "A flat plateau with steep walls; the minimum sits at (3, 0.5) in a narrow "
                           "trough. Start: ({x}, {y}).",
    "surface.rosenbrock.about": "The banana valley: easy to fall into, slow to follow to its minimum at "
                                "(1, 1). Start: ({x}, {y}).",
    "surface.saddle.about": "$x^2 - y^2$ near the origin: downhill along y, uphill along x. Starting almost "
                            "on the ridge, plain SGD lingers at the saddle; adaptive methods leave at once. "
                            "Start: ({x}, {y}).",
    "surface.valley.about": "A tilted valley, curved 100 times more sharply across than along "
                            "(curvatures 10 and 0.1): SGD zig-zags, momentum rolls along. Start: ({x}, {y}).",
    "surface.rastrigin.about": "A bowl covered in bumps: every dip is a local minimum that can trap "
                               "a gradient method. Start: ({x}, {y}).",
    # race figures
    "race.minimum": "minimum",
    "race.start": "start",
    "race.play": "▶ Play",
    "race.pause": "|| Pause",
    "race.resume": "▷ Continue",
    "race.step": "step",
    "race.gap": "loss − minimum (log)",
    "race.diverged_at": "✗ diverged at step {step}",
    # the family tree
    "tree.title": "The optimizer family tree",
    "tree.lead": "Two ideas improve on SGD. **Direction** (blue): keep moving the way you were going "
                 "(Momentum, NAG). **Step size** (orange): give each parameter its own step from its "
                 "gradient history (Adagrad, RMSProp, AdaDelta). **Adam** combines both.",
    "tree.caption": "Each box: the name, the torch.optim call, the idea in one line.",
    "tree.extras": "The other torch.optim optimizers",
    "tree.col.class": "class",
    "tree.col.from": "comes from",
    "tree.col.idea": "idea",
    "tree.branch.batch": "mini-batches",
    "tree.branch.direction": "direction",
    "tree.branch.step_size": "step size",
    "tree.idea.gd": "step down the gradient of the whole dataset",
    "tree.idea.sgd": "a mini-batch's gradient: noisy, but many steps",
    "tree.idea.momentum": "keep a velocity: roll through small bumps",
    "tree.idea.nag": "look where momentum takes you, then correct",
    "tree.idea.adagrad": "per-parameter steps: small where gradients were big",
    "tree.idea.rmsprop": "Adagrad with a moving average: steps don't die out",
    "tree.idea.adadelta": "no lr to pick: step sized by recent updates",
    "tree.idea.adam": "RMSProp's step size + Momentum's direction",
    "tree.idea.nadam": "Adam with Nesterov's look-ahead",
    "tree.idea.asgd": "SGD that averages its iterates",
    "tree.idea.rprop": "only the gradient's sign; steps grow or shrink",
    "tree.idea.lbfgs": "uses curvature from recent steps (quasi-Newton)",
    "tree.idea.adamw": "Adam with decoupled weight decay",
    "tree.idea.adamax": "Adam with the max norm instead of RMS",
    "tree.idea.radam": "Adam with a rectified warm-up",
    "tree.idea.sparseadam": "Adam for sparse gradients (embeddings)",
}
KO = {
    # optimizers page
    "opt.title": "옵티마이저 경주",
    "opt.lead": "모든 옵티마이저가 2차원 곡면의 같은 점에서 출발해 같은 횟수만큼 걸음을 옮깁니다. "
                "한 걸음 한 걸음이 원소 2개짜리 파라미터에 `torch.optim`을 그대로 적용한 결과이므로, "
                "화면에 보이는 것이 곧 PyTorch가 하는 일입니다.",
    "opt.surface": "곡면",
    "opt.racers": "옵티마이저",
    "opt.racers.none": "옵티마이저를 하나 이상 고르세요.",
    "opt.steps": "걸음 수",
    "opt.lrs": "학습률",
    "opt.lrs.caption": "옵티마이저마다 곡면별 기본 학습률이 있습니다. 지도를 벗어나지 않으면서 잘 나아가도록 "
                       "맞춘 값입니다. 하나를 바꾸면 그 옵티마이저만 다시 계산합니다.",
    "opt.computing": "경주 중…",
    "opt.race.caption": "▶를 눌러 경주를 다시 보고, 슬라이더를 끌어 원하는 걸음으로 이동하세요. "
                        "별: 최솟값. 가위표: 출발점. 등고선은 로그 척도입니다.",
    "opt.loss.title": "걸음에 따른 손실",
    "opt.col.optimizer": "옵티마이저",
    "opt.col.lr": "학습률",
    "opt.col.end": "도착점",
    "opt.col.distance": "최솟값까지 거리",
    "opt.col.gap": "손실 − 최솟값",
    "opt.col.status": "상태",
    "opt.status.ok": "완주",
    "opt.status.diverged": "{step}번째 걸음에서 발산",
    "opt.code.title": "한 옵티마이저의 PyTorch 코드",
    "opt.code.pick": "옵티마이저",
    "surface.beale": "Beale 함수",
    "surface.rosenbrock": "Rosenbrock 함수",
    "surface.saddle": "안장점",
    "surface.valley": "길고 좁은 골짜기",
    "surface.rastrigin": "Rastrigin 함수",
    "surface.beale.about": "평평한 고원과 가파른 벽. 최솟값 (3, 0.5)는 좁은 골 안에 있습니다. "
                           "출발점: ({x}, {y}).",
    "surface.rosenbrock.about": "바나나 모양 골짜기: 골에 들어가기는 쉽지만, 골을 따라 최솟값 (1, 1)까지 "
                                "가기는 느립니다. 출발점: ({x}, {y}).",
    "surface.saddle.about": "원점 근처에서 $x^2 - y^2$: y 방향으로는 내리막, x 방향으로는 오르막입니다. "
                            "능선 바로 위에서 출발하면 SGD는 안장점에서 한참 머뭇거리고, 적응형 방법은 "
                            "곧바로 빠져나갑니다. 출발점: ({x}, {y}).",
    "surface.valley.about": "비스듬한 골짜기로, 골을 가로지르는 방향의 곡률이 골을 따라가는 방향보다 "
                            "100배 큽니다(10과 0.1). SGD는 지그재그로 움직이고 모멘텀은 골을 따라 "
                            "굴러갑니다. 출발점: ({x}, {y}).",
    "surface.rastrigin.about": "울퉁불퉁한 그릇: 움푹한 곳마다 지역 최솟값이라 경사 하강법이 갇힐 수 "
                               "있습니다. 출발점: ({x}, {y}).",
    # race figures
    "race.minimum": "최솟값",
    "race.start": "출발점",
    "race.play": "▶ 재생",
    "race.pause": "|| 일시정지",
    "race.resume": "▷ 이어서",
    "race.step": "걸음",
    "race.gap": "손실 − 최솟값 (로그)",
    "race.diverged_at": "✗ {step}번째 걸음에서 발산",
    # the family tree
    "tree.title": "옵티마이저 계보도",
    "tree.lead": "SGD를 개선하는 아이디어는 두 갈래입니다. **방향**(파랑): 가던 방향으로 계속 가기"
                 "(Momentum, NAG). **보폭**(주황): 변수마다 지난 기울기에 맞춘 보폭 쓰기"
                 "(Adagrad, RMSProp, AdaDelta). **Adam**은 둘을 합쳤습니다.",
    "tree.caption": "각 상자: 이름, torch.optim 호출, 한 줄로 요약한 아이디어.",
    "tree.extras": "torch.optim의 나머지 옵티마이저",
    "tree.col.class": "클래스",
    "tree.col.from": "뿌리",
    "tree.col.idea": "아이디어",
    "tree.branch.batch": "미니배치",
    "tree.branch.direction": "방향",
    "tree.branch.step_size": "보폭",
    "tree.idea.gd": "전체 데이터의 기울기를 따라 내려간다",
    "tree.idea.sgd": "미니배치의 기울기: 시끄럽지만 걸음이 많다",
    "tree.idea.momentum": "속도를 유지해 작은 굴곡을 넘어간다",
    "tree.idea.nag": "관성이 데려갈 곳을 먼저 보고 고친다",
    "tree.idea.adagrad": "변수마다 보폭: 많이 변한 변수는 작게",
    "tree.idea.rmsprop": "Adagrad + 이동평균: 보폭이 0으로 줄지 않는다",
    "tree.idea.adadelta": "학습률 없이 최근 업데이트 크기로 보폭을 정한다",
    "tree.idea.adam": "RMSProp의 보폭 + Momentum의 방향",
    "tree.idea.nadam": "Adam에 Nesterov의 앞보기를 더했다",
    "tree.idea.asgd": "지나온 점들을 평균하는 SGD",
    "tree.idea.rprop": "기울기의 부호만 본다: 보폭을 키우거나 줄인다",
    "tree.idea.lbfgs": "최근 걸음으로 곡률을 추정한다 (준뉴턴법)",
    "tree.idea.adamw": "가중치 감쇠를 분리한 Adam",
    "tree.idea.adamax": "RMS 대신 최댓값 노름을 쓰는 Adam",
    "tree.idea.radam": "워밍업을 보정한 Adam",
    "tree.idea.sparseadam": "희소 기울기(임베딩)를 위한 Adam",
}
