"""Settings of one simulated WhatsApp business number and its fault mode."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything the simulator needs to stand in for Meta's Cloud API."""

    app_secret: str
    webhook_url: str
    access_token: str = "sim-token"
    phone_number_id: str = "100000000000001"
    display_phone_number: str = "525550000000"
    waba_id: str = "200000000000001"
    version: str = "v25.0"
    error_rate: float = 0.0
    latency_ms: int = 0
    throttle_per_second: float = 0
    auto_deliver: bool = True
    seed: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.throttle_per_second < 0:
            raise ValueError("throttle_per_second must not be negative")
