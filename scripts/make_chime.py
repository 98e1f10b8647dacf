"""Write the console's notification chime (cdmx/web/console/static/sounds/chime.wav).

A soft two-tone chime (E6 then A5, each note fading out), 16-bit mono at 11,025 Hz: about
0.55 s and 12 KB, small enough to ship with the console and to load with the page. Run it
again only to change the sound; the file is committed.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 11_025
NOTES = ((1318.5, 0.0, 0.30), (880.0, 0.16, 0.39))  # (Hz, start s, length s)
VOLUME = 0.28  # soft: a chime beside a conversation, not an alarm
OUT = Path(__file__).resolve().parents[1] / "cdmx/web/console/static/sounds/chime.wav"


def sample(t: float) -> float:
    """The sum of the notes sounding at time t, each with a quick attack and a decay."""
    value = 0.0
    for frequency, start, length in NOTES:
        local = t - start
        if 0 <= local < length:
            attack = min(1.0, local / 0.008)
            decay = math.exp(-5.5 * local / length) * (1 - local / length)
            value += math.sin(2 * math.pi * frequency * local) * attack * decay
    return value * VOLUME


def main() -> None:
    end = max(start + length for _, start, length in NOTES)
    frames = b"".join(
        struct.pack("<h", round(max(-1.0, min(1.0, sample(i / RATE))) * 32767))
        for i in range(int(end * RATE))
    )
    with wave.open(str(OUT), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)
    print(f"{OUT}: {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
