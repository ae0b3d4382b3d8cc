"""The engine's self-test report: its checks pass on this installation and fail when they should."""

from conftest import random_model

from e4s_core.selftest import SelftestReport, check_default_model, check_fast_path, run_selftest


def test_the_selftest_passes_with_the_bundled_model():
    report = run_selftest()
    assert report.passed and len(report.checks) == 2
    assert report.lines()[-1] == "selftest passed"


def test_a_model_that_does_not_reconstruct_faces_fails_the_model_check():
    check = check_default_model(random_model())  # random weights: no better than a flat colour
    assert not check.passed and "flat mean colour" in check.detail
    report = SelftestReport([check_fast_path(), check])
    assert not report.passed and report.lines()[-1] == f"selftest FAILED: {check.name}"
