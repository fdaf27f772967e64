"""Strings of the pages while the run store does not answer (a database restarting, a full disk, a lock)."""

EN = {
    "outage.banner": "The run store cannot be reached; runs keep training; reconnecting…",
    "outage.stop_kept": "The run store cannot be reached: your stop is kept and reaches your runs as soon as "
                        "it answers.",
    "outage.stop_sent": "The run store answers again: your stop was sent.",
    "outage.not_started": "The run store cannot be reached, so no run was started. Press ▶ Train again when "
                          "this page shows your runs again.",
}

KO = {
    "outage.banner": "실행 저장소에 연결할 수 없습니다. 학습은 계속되며, 다시 연결하는 중입니다…",
    "outage.stop_kept": "실행 저장소에 연결할 수 없습니다. 중지 요청을 보관했다가 저장소가 응답하는 즉시 "
                        "실행에 전달합니다.",
    "outage.stop_sent": "실행 저장소가 다시 응답합니다. 중지 요청을 보냈습니다.",
    "outage.not_started": "실행 저장소에 연결할 수 없어 실행을 시작하지 않았습니다. 이 페이지에 실행 목록이 "
                          "다시 보이면 ▶ 학습을 다시 누르세요.",
}
