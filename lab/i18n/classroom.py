"""Strings added for the classroom: presets and reset, hints, statuses, picker texts, presentation mode."""

EN: dict[str, str] = {
    "app.present": "Presentation mode",
    "app.present_help": "Larger text for a projector; the sidebar folds away (open it with the arrow).",
    "train.preset_loaded": "Preset loaded: **{name}**. Every setting is the page's default except: {fields}.",
    "train.preset_loaded_none": "Preset loaded: **{name}** (the page's defaults).",
    "train.preset_press": "Press ▶ Train to run it.",
    "train.init_help": ("PyTorch default: Kaiming uniform, scaled to each layer's inputs. Normal, std 1: "
                        "the lesson's torch.nn.init.normal_, which saturates deep sigmoid nets."),
    "train.reset": "↺ Reset to defaults",
    "train.reset_help": "Every setting back to the page's defaults.",
    "train.use_defaults": "Use defaults for {fields}",
    "train.hint.normal_init": ("With init “Normal, std 1” every {act} unit of this {depth}-layer net starts "
                               "saturated, so the gradient does not shrink layer by layer: this run cannot "
                               "show the vanishing gradient (PyTorch's default init does)."),
    "train.hint.low_lr": ("The learning rate {lr} is {factor}× below {name}'s default {default}: in a few "
                          "epochs the net barely moves, whatever the activation."),
    "train.hint.leftover": "Still from the preset “{preset}”: {fields}.",
    "train.progress_no_eta": "{label} · epoch {epoch}/{epochs} · step {step}/{total} · {elapsed}",
    "train.stopped_early": ("Stopped at step {step}, before the first epoch finished: no test accuracy yet "
                            "(it is measured at the end of each epoch)."),
    "train.running_note": "A run is training: ▶ Train is back when it ends (or press ■ Stop).",
    "train.status.finished": "finished",
    "train.status.stopped": "stopped",
    "train.status.diverged": "diverged",
    "train.status.failed": "failed",
    "train.status.running": "training",
    "train.status.queued": "waiting",
    "train.status.interrupted": "interrupted",
    "draw.model.trained": "{label} · test {acc:.1%}",
    "draw.model.training": "{label} · still training",
    "draw.model.untested": "{label} · stopped before an epoch",
    "draw.model.best": "The best finished run is picked; the list shows each model's test accuracy.",
}

KO: dict[str, str] = {
    "app.present": "발표 모드",
    "app.present_help": "프로젝터용으로 글자를 키우고 사이드바를 접습니다(화살표로 다시 열 수 있습니다).",
    "train.preset_loaded": ("프리셋을 불러왔습니다: **{name}**. 다음을 뺀 모든 설정은 페이지 "
                            "기본값입니다: {fields}."),
    "train.preset_loaded_none": "프리셋을 불러왔습니다: **{name}** (페이지 기본값).",
    "train.preset_press": "▶ 학습을 누르면 실행합니다.",
    "train.init_help": ("PyTorch 기본값: 층의 입력 수에 맞춘 Kaiming 균등분포. 정규분포 σ=1: 강의의 "
                        "torch.nn.init.normal_로, 깊은 시그모이드 신경망을 포화시킵니다."),
    "train.reset": "↺ 기본값으로",
    "train.reset_help": "모든 설정을 페이지 기본값으로 되돌립니다.",
    "train.use_defaults": "{fields}을(를) 기본값으로",
    "train.hint.normal_init": ("초기화가 “정규분포, 표준편차 1”이면 이 {depth}층 신경망의 {act} "
                               "유닛이 처음부터 모두 포화되어, 기울기가 층마다 줄어드는 모습이 "
                               "나타나지 않습니다. 이 실행으로는 기울기 소실을 볼 수 없습니다"
                               "(PyTorch 기본 초기화로는 보입니다)."),
    "train.hint.low_lr": ("학습률 {lr}은(는) {name}의 기본값 {default}보다 {factor}배 작습니다. "
                          "몇 에포크로는 활성화 함수와 상관없이 신경망이 거의 바뀌지 않습니다."),
    "train.hint.leftover": "프리셋 “{preset}”에서 남은 설정: {fields}.",
    "train.progress_no_eta": "{label} · 에포크 {epoch}/{epochs} · 스텝 {step}/{total} · {elapsed}",
    "train.stopped_early": ("첫 에포크가 끝나기 전에 스텝 {step}에서 중지했습니다. 테스트 정확도는 아직 "
                            "없습니다(에포크가 끝날 때마다 잽니다)."),
    "train.running_note": "학습 중입니다. 끝나면 ▶ 학습 버튼이 다시 켜집니다(■ 중지로 멈출 수 있습니다).",
    "train.status.finished": "완료",
    "train.status.stopped": "중지",
    "train.status.diverged": "발산",
    "train.status.failed": "실패",
    "train.status.running": "학습 중",
    "train.status.queued": "대기 중",
    "train.status.interrupted": "중단됨",
    "draw.model.trained": "{label} · 테스트 {acc:.1%}",
    "draw.model.training": "{label} · 아직 학습 중",
    "draw.model.untested": "{label} · 첫 에포크 전에 중지",
    "draw.model.best": ("완료된 실행 중 가장 좋은 모델을 골라 두었습니다. 목록에 모델마다 테스트 "
                        "정확도가 있습니다."),
}
