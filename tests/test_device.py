"""Device choice: automatic, E4S_DEVICE, explicit argument; typos fail early with DeviceError."""

import pytest
import torch

from e4s_core import DeviceError, resolve_device
from e4s_core.device import DEVICE_ENV_VAR

no_cuda_only = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")


@no_cuda_only
def test_automatic_choice_is_cpu_without_a_gpu(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)
    monkeypatch.setattr("e4s_core.device._mps_available", lambda: False)
    assert resolve_device(None) == torch.device("cpu")


def test_environment_variable_selects_the_cpu(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV_VAR, "cpu")
    assert resolve_device(None) == torch.device("cpu")


def test_empty_environment_variable_means_automatic(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV_VAR, "")
    assert resolve_device(None).type in ("cpu", "cuda", "mps")


def test_explicit_argument_beats_environment_variable(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV_VAR, "banana")
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


@no_cuda_only
def test_cuda_from_environment_without_cuda_says_how_to_fix(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV_VAR, "cuda")
    with pytest.raises(DeviceError, match="CUDA") as raised:
        resolve_device(None)
    assert DEVICE_ENV_VAR in str(raised.value)


@pytest.mark.parametrize(
    ("name", "message"),
    [("tpu", "Unknown device 'tpu'"), ("banana", "Unknown device 'banana'"), ("meta", "not supported")],
)
def test_unsupported_or_misspelled_device_is_refused(monkeypatch, name, message):
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)
    with pytest.raises(DeviceError, match=message):
        resolve_device(name)


def test_misspelled_device_in_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV_VAR, "banana")
    with pytest.raises(DeviceError, match=DEVICE_ENV_VAR):
        resolve_device(None)
