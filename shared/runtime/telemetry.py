"""OpenTelemetry tracing, so one newcomer's case can be followed across services.

Trace context travels HTTP request → handler → outbox row → Kafka headers →
consumer → store. Standard `OTEL_*` variables choose the exporter:
`OTEL_TRACES_EXPORTER` = `otlp` (endpoint from `OTEL_EXPORTER_OTLP_*`),
`console`, or `none` (the default); `OTEL_SDK_DISABLED=true` turns tracing off.
"""

import os

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()


def tracer_provider_from_env(service_name: str) -> TracerProvider:
    """A provider for `service_name`, exporting as the `OTEL_*` environment says."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    for processor in _processors_from_env():
        provider.add_span_processor(processor)
    return provider


def exports_spans_from_env() -> bool:
    """Whether the `OTEL_*` environment names an exporter (and does not disable the SDK)."""
    return bool(_exporters_from_env())


def _exporters_from_env() -> list[str]:
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return []
    names = (n.strip() for n in os.environ.get("OTEL_TRACES_EXPORTER", "none").lower().split(","))
    return [name for name in names if name not in ("none", "")]


def _processors_from_env() -> list[SpanProcessor]:
    processors: list[SpanProcessor] = []
    for name in _exporters_from_env():
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            processors.append(BatchSpanProcessor(OTLPSpanExporter()))
        elif name == "console":
            processors.append(BatchSpanProcessor(ConsoleSpanExporter()))
        else:
            raise ValueError(f"OTEL_TRACES_EXPORTER={name!r} is not supported (otlp, console, none)")
    return processors


def current_traceparent() -> str | None:
    """The W3C traceparent of the active span, to store beside an outbox row."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def context_from_traceparent(traceparent: str | None) -> Context:
    """The context a stored traceparent names, so a later publish joins its trace."""
    if not traceparent:
        return otel_context.get_current()
    return _PROPAGATOR.extract({"traceparent": traceparent})
