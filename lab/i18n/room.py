"""Strings of the lesson in a room (issue 23): the teacher's key and the projector view, the board's words,
what students are told (nickname, a teacher's stop, a closed class), what the Train page's charts show,
and the charts' text alternatives."""

EN: dict[str, str] = {
    # the teacher's key lives in the teacher's browser; the projector shows no controls and no secret
    "room.board_only_teacher": ("This board opens only in the teacher's browser. Teacher: open your teacher "
                                "link once in this browser; it keeps the key, and the address shows none."),
    "room.key_kept": ("This browser keeps your teacher key (the address never shows it). To open the board on "
                      "another device, bookmark this teacher link there, not on the projector:"),
    "room.projector": "▣ Projector view",
    "room.projector_help": ("The board without controls or secrets, for the projector: its address opens "
                            "nothing in another browser."),
    "room.teacher_view": "Back to the teacher's controls",
    "room.join_with": "Join: open the Class page and type **{code}**",
    # the board's words
    "room.count.finished": "Finished",
    "room.count.stopped": "Stopped",
    "room.count.diverged": "Diverged",
    "room.count.failed": "Failed or interrupted",
    "room.count.stopped_help": "Runs stopped by a student or the teacher; {before} of them before they started.",
    "room.col.nickname": "Student",
    "room.col.run": "Run",
    "room.col.activation": "Activation",
    "room.col.optimizer": "Optimizer",
    "room.col.lr": "Learning rate",
    "room.col.depth": "Hidden layers",
    "room.col.width": "Width",
    "room.col.status": "Status",
    "room.col.step": "Step",
    "room.col.total_steps": "Steps in all",
    "room.col.test_acc": "Test accuracy",
    "room.col.loss": "Last loss",
    "room.col.seconds": "Seconds",
    "room.col.flags": "Flags",
    "room.flag.vanished": "gradient vanished",
    "room.flag.diverged": "diverged",
    "room.note.vanished.one": "Vanished gradient in 1 run (its first layer barely learns): {runs}",
    "room.note.vanished.many": "Vanished gradient in {n} runs (their first layer barely learns): {runs}",
    "room.note.diverged.one": "1 run diverged (its loss blew up): {runs}",
    "room.note.diverged.many": "{n} runs diverged (their loss blew up): {runs}",
    "room.note.more": "and {n} more",
    "room.preset.lesson-softmax": "Lesson: softmax regression",
    "room.preset.lesson-nn": "Lesson: 3-layer ReLU net",
    "room.preset.vanishing-sigmoid": "Vanishing gradient: 6 sigmoid layers",
    "room.preset.vanishing-relu": "The same 6 layers with ReLU",
    # what a student is told
    "room.nick_shortened": "A nickname has at most {n} characters: yours was shortened to **{nickname}**.",
    "room.stopped_by_teacher": ("Your teacher stopped every run of the class: this one stopped at step {step}. "
                                "The model keeps what it learned (last test accuracy {acc})."),
    "room.stopped_by_teacher_early": ("Your teacher stopped every run of the class: this one stopped at step "
                                      "{step}, before its first epoch ended, so it has no test accuracy yet."),
    "room.stopped_by_teacher_queued": "Your teacher stopped every run of the class before this one started.",
    "room.class_closed": ("Your teacher closed the class {name}: your new runs are your own now and no longer "
                          "go to the class board."),
    "room.live_intro": ("This run is still training: this page follows it live, read-only. Its interactive "
                        "charts and downloads come when it ends."),
    # what the Train page's charts show
    "room.insight.vanished": ("Vanishing gradient: at step {step} {first}'s gradient norm is {ratio} of "
                              "{last}'s ({a} against {b}), so the first layer barely learns. "
                              "[Why: the Activations page]({link})"),
    "room.insight.diverged": ("The loss became {loss} at step {step}: the run diverged, its steps too large for "
                              "the learning rate {lr}. [Why: the Optimizers page]({link})"),
    "room.insight.dead": ("{pct} of {layer}'s units are dead: they output 0 for every image of the probe "
                          "batch, so no gradient flows through them. [Why: the Activations page]({link})"),
    # text alternatives of chart images
    "room.alt.empty": "{title}: {note}",
    "room.alt.curves": "{title}: {n} runs; lowest last loss by {by}: {values}",
    "room.alt.grid": "{title}: {values}",
}

KO: dict[str, str] = {
    "room.board_only_teacher": ("이 보드는 선생님의 브라우저에서만 열립니다. 선생님: 이 브라우저에서 교사 링크를 "
                                "한 번 여세요. 키는 브라우저에 보관되고 주소창에는 나타나지 않습니다."),
    "room.key_kept": ("이 브라우저가 교사 키를 보관합니다(주소창에는 보이지 않습니다). 다른 기기에서 보드를 "
                      "열려면 그 기기에 이 교사 링크를 북마크하세요. 프로젝터에는 띄우지 마세요:"),
    "room.projector": "▣ 프로젝터 화면",
    "room.projector_help": ("조작 버튼도 비밀도 없는 프로젝터용 보드입니다. 이 주소는 다른 브라우저에서 "
                            "아무것도 열지 못합니다."),
    "room.teacher_view": "선생님 조작 화면으로",
    "room.join_with": "참여: 수업 페이지에서 **{code}** 입력",
    "room.count.finished": "완료",
    "room.count.stopped": "멈춤",
    "room.count.diverged": "발산",
    "room.count.failed": "실패 또는 중단",
    "room.count.stopped_help": "학생이나 선생님이 멈춘 학습입니다. 그중 {before}개는 시작하기 전에 멈췄습니다.",
    "room.col.nickname": "학생",
    "room.col.run": "학습",
    "room.col.activation": "활성화 함수",
    "room.col.optimizer": "옵티마이저",
    "room.col.lr": "학습률",
    "room.col.depth": "은닉층 수",
    "room.col.width": "너비",
    "room.col.status": "상태",
    "room.col.step": "스텝",
    "room.col.total_steps": "전체 스텝",
    "room.col.test_acc": "테스트 정확도",
    "room.col.loss": "마지막 손실",
    "room.col.seconds": "초",
    "room.col.flags": "표시",
    "room.flag.vanished": "기울기 소실",
    "room.flag.diverged": "발산",
    "room.note.vanished.one": "학습 1개에서 기울기가 소실되었습니다(첫 층이 거의 배우지 못함): {runs}",
    "room.note.vanished.many": "학습 {n}개에서 기울기가 소실되었습니다(첫 층이 거의 배우지 못함): {runs}",
    "room.note.diverged.one": "학습 1개가 발산했습니다(손실이 폭발함): {runs}",
    "room.note.diverged.many": "학습 {n}개가 발산했습니다(손실이 폭발함): {runs}",
    "room.note.more": "외 {n}개",
    "room.preset.lesson-softmax": "강의: 소프트맥스 회귀",
    "room.preset.lesson-nn": "강의: 3층 ReLU 신경망",
    "room.preset.vanishing-sigmoid": "기울기 소실: 시그모이드 6층",
    "room.preset.vanishing-relu": "같은 6층을 ReLU로",
    "room.nick_shortened": "닉네임은 최대 {n}자입니다. **{nickname}**(으)로 줄였습니다.",
    "room.stopped_by_teacher": ("선생님이 수업의 모든 학습을 멈췄습니다. 이 학습은 스텝 {step}에서 멈췄고, 그때까지 "
                                "배운 것은 모델에 남아 있습니다(마지막 테스트 정확도 {acc})."),
    "room.stopped_by_teacher_early": ("선생님이 수업의 모든 학습을 멈췄습니다. 이 학습은 첫 에포크가 끝나기 전 "
                                      "스텝 {step}에서 멈춰서 테스트 정확도가 아직 없습니다."),
    "room.stopped_by_teacher_queued": "선생님이 수업의 모든 학습을 멈췄습니다. 이 학습은 시작하기 전에 멈췄습니다.",
    "room.class_closed": ("선생님이 수업 {name}을(를) 닫았습니다. 이제 새 학습은 수업 보드에 올라가지 않는 "
                          "나만의 학습입니다."),
    "room.live_intro": ("아직 학습 중인 실행입니다. 이 페이지는 읽기 전용으로 실시간으로 따라갑니다. "
                        "대화형 차트와 내려받기는 학습이 끝나면 나타납니다."),
    "room.insight.vanished": ("기울기 소실: 스텝 {step}에서 {first}의 기울기 크기는 {last}의 {ratio}입니다"
                              "({a} 대 {b}). 그래서 첫 층은 거의 배우지 못합니다. [이유: 활성화 함수 페이지]({link})"),
    "room.insight.diverged": ("스텝 {step}에서 손실이 {loss}이(가) 되어 학습이 발산했습니다. 학습률 {lr}에 비해 "
                              "한 걸음이 너무 컸습니다. [이유: 옵티마이저 페이지]({link})"),
    "room.insight.dead": ("{layer} 유닛의 {pct}가 죽었습니다. 점검 배치의 모든 이미지에 0을 내서 기울기가 "
                          "흐르지 않습니다. [이유: 활성화 함수 페이지]({link})"),
    "room.alt.empty": "{title}: {note}",
    "room.alt.curves": "{title}: 학습 {n}개, {by}별 가장 낮은 마지막 손실: {values}",
    "room.alt.grid": "{title}: {values}",
}
