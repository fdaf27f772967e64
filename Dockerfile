# ReLU Lab in a container: docker build -t relu-lab . && docker run -p 8501:8501 relu-lab
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt requirements-ray.txt ./
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements-ray.txt
COPY . .
RUN useradd --create-home relulab && chown -R relulab /app
USER relulab
EXPOSE 8501
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:8501/_stcore/health')"
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
