"""Strings of identical runs replayed instead of trained again, and of the fair queue's wait."""

EN = {
    "replay.message": "Same configuration and seed as an earlier run: this is its exact result (training is "
                      "deterministic). Change the seed to train your own.",
    "replay.following": "Same configuration and seed as a run training right now: you are watching it train, "
                        "step by step, and its result will be yours (training is deterministic). Change the seed "
                        "to train your own.",
    "replay.playing": "{label}: replaying at the pace it trained · epoch {epoch}/{epochs} · step {step}/{total}",
    "replay.now": "Replaying now: {label}",
    "replay.skip": "⏭ Jump to the end",
    "replay.anyway": "Train it anyway",
    "replay.anyway_help": "Trains this configuration again on the server, as if no one had: the same seed gives "
                          "the same numbers, step by step.",
    "replay.anyway_started": "Training {label} for real.",
    "replay.tag": "replay",
    "replay.board": "Runs trained: {trained} · replayed (same configuration and seed, not trained again): "
                    "{replayed}",
    "queue.waiting": "{label}: waiting for a free slot, place {place} in the queue, starts in about {start}",
    "replay.cli": "Same configuration and seed as run {original}: its exact result, replayed (training is "
                  "deterministic). Leave out --reuse, or change --seed, to train it yourself.",
}

KO = {
    "replay.message": "앞선 실행과 설정과 시드가 같습니다. 이것은 그 실행의 결과 그대로입니다(학습은 결정적입니다). "
                      "직접 학습하려면 시드를 바꾸세요.",
    "replay.following": "지금 학습 중인 실행과 설정과 시드가 같습니다. 그 실행이 한 단계씩 학습하는 "
                        "모습을 보고 있으며, 그 결과가 그대로 내 결과가 됩니다(학습은 결정적입니다). "
                        "직접 학습하려면 시드를 바꾸세요.",
    "replay.playing": "{label}: 학습했던 속도로 다시 보는 중 · 에포크 {epoch}/{epochs} · 스텝 {step}/{total}",
    "replay.now": "다시 보는 중: {label}",
    "replay.skip": "⏭ 끝으로 건너뛰기",
    "replay.anyway": "그래도 직접 학습하기",
    "replay.anyway_help": "아무도 학습하지 않은 것처럼 이 설정을 서버에서 다시 학습합니다. 같은 시드는 한 단계씩 "
                          "같은 숫자를 냅니다.",
    "replay.anyway_started": "{label}을(를) 직접 학습합니다.",
    "replay.tag": "다시 보기",
    "replay.board": "학습한 실행: {trained} · 다시 보기(설정과 시드가 같아 다시 학습하지 않음): {replayed}",
    "queue.waiting": "{label}: 빈 자리를 기다리는 중, 대기 순서 {place}번, 약 {start} 뒤 시작",
    "replay.cli": "실행 {original}과(와) 설정과 시드가 같습니다. 그 결과를 그대로 다시 보여 줍니다"
                  "(학습은 결정적입니다). 직접 학습하려면 --reuse를 빼거나 --seed를 바꾸세요.",
}
