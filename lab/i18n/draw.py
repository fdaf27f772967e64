"""Strings of the Draw page, its upload messages and the predict CLI."""

EN: dict[str, str] = {
    "draw.title": "Draw a digit",
    "draw.intro": ("Draw a digit from 0 to 9 and the network says what it is. Below the canvas you "
                   "see exactly what the network sees: your drawing cropped, shrunk to 20 pixels "
                   "and centred in 28 x 28 pixels, the way MNIST itself was made."),
    "draw.source": "Input",
    "draw.source.canvas": ":material/draw: Draw",
    "draw.source.upload": ":material/photo_camera: Upload",
    "draw.stroke": "Pen width",
    "draw.clear": "Clear",
    "draw.toolbar_hint": "Undo and redo: the toolbar above the canvas (point at the canvas).",
    "draw.empty": "Draw a digit on the black canvas to see the prediction.",
    "draw.upload": "Photo or scan of one digit (PNG or JPEG)",
    "draw.upload_hint": "Any colours: a dark digit on white paper is inverted automatically.",
    "draw.upload_empty": "Upload a picture of a single digit to see the prediction.",
    "draw.model": "Model",
    "draw.model.default": "Default model (shipped, {acc:.1%} on MNIST test)",
    "draw.model.using": "Model: {name}",
    "draw.model.file": "File: {name}",
    "draw.model_file": "Use a saved model file",
    "draw.model_file.label": "A model saved by the Train page or by `python -m lab train --save` (.pt)",
    "draw.model.live_note": "This model is still training: each prediction uses its latest weights.",
    "draw.model.missing": ("The default model file data/default_model.pt could not be loaded ({message}). "
                           "Train a model on the Train page, then come back."),
    "draw.model.bad": "This model cannot be used: {message}",
    "draw.steps": "What the network sees",
    "draw.step.input": "Your input",
    "draw.step.cropped": "Cropped to the ink",
    "draw.step.scaled": "Longer side 20 px",
    "draw.step.final": "28 x 28 input",
    "draw.steps_caption": ("MNIST digits were made the same way: cropped, scaled to fit 20 x 20, then "
                           "centred by their centre of mass in 28 x 28. A network of only fully "
                           "connected layers cannot recognise a digit it sees in an unfamiliar place "
                           "or size, which is why this step matters."),
    "draw.inverted": "Your image was dark on light, so it was inverted (MNIST is light on dark).",
    "draw.prediction": "Prediction",
    "draw.guess": "It is {digit}",
    "draw.confidence": "{p:.0%} sure",
    "draw.second": "or maybe {digit} ({p:.0%})",
    "draw.unsure": "The network is unsure: try drawing larger, thicker or more clearly.",
    "draw.axis.digit": "digit",
    "draw.axis.prob": "probability",
    "upload.empty": "The file is empty.",
    "upload.not_image": ("This file is not an image that can be read. "
                         "Use a PNG or JPEG photo or scan of a digit."),
    "upload.unsupported": "{format} images are not supported here. Use a PNG or JPEG.",
    "upload.truncated": ("The image file is damaged or incomplete (it ends early). "
                         "Save or export it again and retry."),
    "upload.too_big_bytes": "The file is {mb:.1f} MB; at most {limit} MB is accepted.",
    "upload.too_many_pixels": ("The image is {width} x {height} pixels ({mp:.0f} megapixels); at most "
                               "{limit} megapixels are accepted. Make it smaller and retry."),
    "upload.bomb": ("The image claims an enormous size (a 'decompression bomb'), so it was not opened. "
                    "At most {limit} megapixels are accepted."),
    "upload.blank": "The image looks blank: no digit stands out from the background.",
    "cli.predict.model_error": "cannot load the model: {message}",
    "cli.predict.file_error": "{file}: {message}",
    "cli.predict.not_found": "file not found",
}

KO: dict[str, str] = {
    "draw.title": "숫자 그리기",
    "draw.intro": ("0부터 9까지 숫자를 하나 그려 보세요. 신경망이 어떤 숫자인지 알려 줍니다. "
                   "캔버스 아래에서 신경망이 실제로 보는 이미지를 확인할 수 있습니다. "
                   "MNIST를 만들 때와 똑같이 그림을 잘라 내고, 20픽셀로 줄인 뒤 "
                   "28 x 28 픽셀 가운데에 놓습니다."),
    "draw.source": "입력",
    "draw.source.canvas": ":material/draw: 그리기",
    "draw.source.upload": ":material/photo_camera: 업로드",
    "draw.stroke": "펜 굵기",
    "draw.clear": "지우기",
    "draw.toolbar_hint": "실행 취소와 다시 실행: 캔버스 위 도구 모음(캔버스에 마우스를 올리면 나타남).",
    "draw.empty": "검은 캔버스에 숫자를 그리면 예측 결과가 나옵니다.",
    "draw.upload": "숫자 하나를 찍은 사진이나 스캔 (PNG 또는 JPEG)",
    "draw.upload_hint": "색은 상관없습니다. 흰 종이에 쓴 어두운 숫자는 자동으로 반전됩니다.",
    "draw.upload_empty": "숫자 하나가 담긴 이미지를 올리면 예측 결과가 나옵니다.",
    "draw.model": "모델",
    "draw.model.default": "기본 모델 (함께 제공, MNIST 테스트 정확도 {acc:.1%})",
    "draw.model.using": "모델: {name}",
    "draw.model.file": "파일: {name}",
    "draw.model_file": "저장한 모델 파일 사용하기",
    "draw.model_file.label": "학습 페이지나 `python -m lab train --save`로 저장한 모델 (.pt)",
    "draw.model.live_note": "이 모델은 아직 학습 중입니다. 예측할 때마다 가장 최근 가중치를 사용합니다.",
    "draw.model.missing": ("기본 모델 파일 data/default_model.pt를 불러오지 못했습니다({message}). "
                           "학습 페이지에서 모델을 학습한 뒤 다시 오세요."),
    "draw.model.bad": "이 모델은 사용할 수 없습니다: {message}",
    "draw.steps": "신경망이 보는 이미지",
    "draw.step.input": "입력한 그림",
    "draw.step.cropped": "숫자 부분만 자르기",
    "draw.step.scaled": "긴 변을 20픽셀로",
    "draw.step.final": "28 x 28 입력",
    "draw.steps_caption": ("MNIST 숫자도 이렇게 만들어졌습니다. 숫자 부분을 잘라 20 x 20 안에 맞게 줄이고, "
                           "무게중심이 28 x 28의 가운데에 오도록 놓습니다. 완전 연결층만으로 된 신경망은 "
                           "익숙하지 않은 위치나 크기의 숫자를 알아보지 못하기 때문에 이 과정이 중요합니다."),
    "draw.inverted": "밝은 바탕에 어두운 숫자여서 색을 반전했습니다 (MNIST는 어두운 바탕에 밝은 숫자).",
    "draw.prediction": "예측",
    "draw.guess": "{digit}입니다",
    "draw.confidence": "확신도 {p:.0%}",
    "draw.second": "{digit}일 수도 있습니다 ({p:.0%})",
    "draw.unsure": "신경망이 확신하지 못합니다. 더 크게, 더 굵게, 또는 더 또렷하게 그려 보세요.",
    "draw.axis.digit": "숫자",
    "draw.axis.prob": "확률",
    "upload.empty": "빈 파일입니다.",
    "upload.not_image": ("읽을 수 있는 이미지 파일이 아닙니다. "
                         "숫자를 찍은 PNG나 JPEG 사진 또는 스캔을 사용해 주세요."),
    "upload.unsupported": "{format} 형식은 지원하지 않습니다. PNG나 JPEG를 사용해 주세요.",
    "upload.truncated": ("이미지 파일이 손상되었거나 중간에 끊겨 있습니다. "
                         "다시 저장하거나 내보낸 뒤 올려 주세요."),
    "upload.too_big_bytes": "파일 크기가 {mb:.1f} MB입니다. {limit} MB까지만 받을 수 있습니다.",
    "upload.too_many_pixels": ("이미지가 {width} x {height} 픽셀({mp:.0f}메가픽셀)입니다. "
                               "{limit}메가픽셀까지만 받을 수 있습니다. 크기를 줄여서 다시 올려 주세요."),
    "upload.bomb": ("이미지 크기가 비정상적으로 큽니다('압축 폭탄'). 그래서 열지 않았습니다. "
                    "{limit}메가픽셀까지만 받을 수 있습니다."),
    "upload.blank": "빈 이미지처럼 보입니다. 배경과 구별되는 숫자가 없습니다.",
    "cli.predict.model_error": "모델을 불러올 수 없습니다: {message}",
    "cli.predict.file_error": "{file}: {message}",
    "cli.predict.not_found": "파일이 없습니다",
}
