"""Bundled MNIST: real, complete, verified, and clear about corruption."""

import shutil

import pytest
import torch

from lab.engine.data import BUNDLED_DIR, DataError, load_mnist, parse_idx


def test_bundled_mnist_is_the_real_dataset(mnist):
    assert mnist.train_images.shape == (60000, 784) and mnist.train_images.dtype == torch.uint8
    assert mnist.test_images.shape == (10000, 784)
    assert mnist.train_labels.shape == (60000,) and mnist.test_labels.shape == (10000,)
    # Published facts of MNIST: first training label is 5, first test label is 7,
    # and the class counts of the test set.
    assert int(mnist.train_labels[0]) == 5 and int(mnist.test_labels[0]) == 7
    test_counts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert torch.bincount(mnist.test_labels).tolist() == test_counts


def test_loaded_once_per_process(mnist):
    assert load_mnist() is mnist


def test_corrupt_file_names_the_file(tmp_path):
    for f in BUNDLED_DIR.glob("*-ubyte.gz"):
        shutil.copy(f, tmp_path / f.name)
    target = tmp_path / "train-labels-idx1-ubyte.gz"
    blob = bytearray(target.read_bytes())
    blob[100] ^= 0xFF
    target.write_bytes(bytes(blob))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz") as err:
        load_mnist(tmp_path)
    assert "corrupt" in str(err.value)


def test_missing_file_names_the_file(tmp_path):
    for f in BUNDLED_DIR.glob("*-ubyte.gz"):
        if not f.name.startswith("t10k-images"):
            shutil.copy(f, tmp_path / f.name)
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte") as err:
        load_mnist(tmp_path)
    assert "missing" in str(err.value)


def test_lesson_layout_with_uncompressed_files_is_accepted(tmp_path):
    import gzip

    for f in BUNDLED_DIR.glob("*-ubyte.gz"):
        (tmp_path / f.name[:-3]).write_bytes(gzip.decompress(f.read_bytes()))
    data = load_mnist(tmp_path)
    assert data.train_images.shape == (60000, 784) and int(data.test_labels[0]) == 7


def test_idx_parser_rejects_short_data():
    header = bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big")
    with pytest.raises(DataError, match="expected"):
        parse_idx(header + bytes(5), "x")
