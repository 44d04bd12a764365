"""Which spans a service records follows the standard `OTEL_*` environment."""

import pytest

from shared.runtime.telemetry import exports_spans_from_env, tracer_provider_from_env


@pytest.mark.parametrize(
    ("environment", "exports"),
    [
        ({}, False),
        ({"OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none, console"}, True),
        ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_spans_are_recorded_only_where_an_exporter_is_named(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], exports: bool
) -> None:
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert exports_spans_from_env() is exports
    tracer_provider_from_env("education").shutdown()  # and the provider builds from the same environment


def test_an_unknown_exporter_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with pytest.raises(ValueError, match="zipkin"):
        tracer_provider_from_env("education")
