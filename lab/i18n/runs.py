"""Strings of the run store as people meet it: links to runs, reloads, restarts, store errors."""

EN = {
    "store.error": "The run store cannot be used, so runs cannot be trained or shown: {message}",
    "runs.link": "Permanent link to this run",
    "runs.interactive": "Interactive charts of this run (zoom, hover): its page ↗",
    "runs.link_help": "Opens this run as recorded, in any browser, even after a server restart.",
    "runs.bad_link": "There is no run {run_id} here: the link is mistyped, or the run was deleted.",
    "runs.shared_title": "Run {label}",
    "runs.shared_intro": "A recorded run: its curves, metrics, model and code, as it trained.",
    "runs.shared_owner": "This run belongs to another browser: you can look, download and draw, not stop it.",
    "runs.own_runs": "← Back to my runs",
    "runs.train_this": "Train this config myself",
    "runs.draw_with": "Draw with this model",
    "runs.delete": "Delete this run",
    "runs.deleted": "Run {label} deleted.",
    "runs.stopping": "Stopping…",
    "runs.interrupted": "{message}",
    "runs.node": "Trained on {node}",
}

KO = {
    "store.error": "실행 저장소를 쓸 수 없어 학습을 시작하거나 보여 줄 수 없습니다: {message}",
    "runs.link": "이 실행의 고정 링크",
    "runs.interactive": "이 실행의 대화형 차트(확대, 값 보기): 실행 페이지 ↗",
    "runs.link_help": "어느 브라우저에서든, 서버를 다시 켠 뒤에도 기록된 그대로 이 실행을 엽니다.",
    "runs.bad_link": "여기에는 {run_id} 실행이 없습니다. 링크가 잘못되었거나 실행이 삭제되었습니다.",
    "runs.shared_title": "실행 {label}",
    "runs.shared_intro": "기록된 실행입니다. 학습한 그대로의 곡선, 지표, 모델, 코드를 볼 수 있습니다.",
    "runs.shared_owner": "다른 브라우저의 실행입니다. 보고, 내려받고, 그려 볼 수는 있지만 멈출 수는 없습니다.",
    "runs.own_runs": "← 내 실행으로 돌아가기",
    "runs.train_this": "이 설정으로 직접 학습하기",
    "runs.draw_with": "이 모델로 그려 보기",
    "runs.delete": "이 실행 삭제",
    "runs.deleted": "{label} 실행을 삭제했습니다.",
    "runs.stopping": "멈추는 중…",
    "runs.interrupted": "학습이 중단되었습니다. {message}",
    "runs.node": "학습한 곳: {node}",
}
