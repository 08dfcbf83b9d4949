"""Backbeat's own session model, written as data and rendered in eventsim's config format.

eventsim's example configs cannot ship with Backbeat, so this is an independent model of a
freemium music app with the 22-page set analysts know from eventsim's instrument configs
(adverts, thumbs, playlists, friends, cancellation). Probabilities are Backbeat's own
choices: free sessions are short and ad-heavy, paid sessions are long listening runs, a few
free users look at Upgrade without submitting, and logins fail now and then.

`python -m backbeat.simulator.default_model` rewrites `configs/backbeat.json`; a test fails
if the committed file and this module disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONFIG_PATH = Path(__file__).parent / "configs" / "backbeat.json"

#: page -> (method, status)
PAGES: dict[str, tuple[str, int]] = {
    "Home": ("GET", 200),
    "About": ("GET", 200),
    "Help": ("GET", 200),
    "Error": ("GET", 404),
    "Register": ("GET", 200),
    "Submit Registration": ("PUT", 307),
    "Login": ("PUT", 307),
    "Logout": ("PUT", 307),
    "NextSong": ("PUT", 200),
    "Roll Advert": ("GET", 200),
    "Thumbs Up": ("PUT", 307),
    "Thumbs Down": ("PUT", 307),
    "Add to Playlist": ("PUT", 200),
    "Add Friend": ("PUT", 307),
    "Settings": ("GET", 200),
    "Save Settings": ("PUT", 307),
    "Upgrade": ("GET", 200),
    "Submit Upgrade": ("PUT", 307),
    "Downgrade": ("GET", 200),
    "Submit Downgrade": ("PUT", 307),
    "Cancel": ("PUT", 307),
    "Cancellation Confirmation": ("GET", 200),
}

_GUEST: dict[str, dict[str, float]] = {
    "Home": {"About": 0.06, "Help": 0.04, "Home": 0.08, "Register": 0.35, "Error": 0.002},
    "About": {"Home": 0.3, "Help": 0.05, "Register": 0.15, "Error": 0.002},
    "Help": {"Home": 0.25, "About": 0.02, "Help": 0.08, "Register": 0.1, "Error": 0.002},
    "Register": {"Home": 0.08, "Help": 0.03, "Submit Registration": 0.75, "Error": 0.002},
    "Error": {"Home": 0.5, "Help": 0.08, "Error": 0.05},
}

_LOGGED_OUT: dict[str, dict[str, float]] = {
    "Home": {"About": 0.05, "Help": 0.04, "Home": 0.05, "Login": 0.6, "Error": 0.002},
    "About": {"Home": 0.35, "Login": 0.35, "Help": 0.03, "Error": 0.002},
    "Help": {"Home": 0.3, "Login": 0.45, "Help": 0.05, "Error": 0.002},
    "Error": {"Home": 0.5, "Login": 0.15, "Error": 0.05},
}


def _logged_in(level: str) -> dict[str, dict[str, float]]:
    free = level == "free"
    plan_page = "Upgrade" if free else "Downgrade"
    next_song = {
        "NextSong": 0.76 if free else 0.84,
        "Roll Advert": 0.06 if free else 0.002,
        "Thumbs Up": 0.045,
        "Thumbs Down": 0.011,
        "Add to Playlist": 0.025,
        "Add Friend": 0.008,
        "Home": 0.02,
        "Settings": 0.004,
        "Help": 0.003,
        "About": 0.001,
        plan_page: 0.008,
        "Logout": 0.008,
        "Error": 0.001,
    }
    after_action = {
        "NextSong": 0.9,
        "Home": 0.04,
        "Thumbs Up": 0.01,
        "Add to Playlist": 0.01,
        "Error": 0.001,
    }
    rows: dict[str, dict[str, float]] = {
        "Home": {
            "NextSong": 0.7 if free else 0.85,
            "Settings": 0.02,
            "Help": 0.01,
            "About": 0.005,
            plan_page: 0.02,
            "Home": 0.01,
            "Logout": 0.01,
            "Error": 0.001,
        },
        "NextSong": next_song,
        "Roll Advert": {
            "NextSong": 0.75,
            "Roll Advert": 0.05,
            "Home": 0.05,
            "Upgrade": 0.03,
            "Error": 0.001,
        }
        if free
        else {"NextSong": 0.9, "Home": 0.05, "Error": 0.001},
        "Thumbs Up": after_action,
        "Thumbs Down": {"NextSong": 0.85, "Home": 0.05, "Thumbs Down": 0.02, "Error": 0.001},
        "Add to Playlist": after_action,
        "Add Friend": {"NextSong": 0.8, "Add Friend": 0.05, "Home": 0.1, "Error": 0.001},
        "About": {"Home": 0.3, "NextSong": 0.4, "Help": 0.02, "Error": 0.001},
        "Help": {
            "Home": 0.25,
            "NextSong": 0.4,
            "Settings": 0.05,
            "Help": 0.05,
            plan_page: 0.02,
            "Error": 0.001,
        },
        "Settings": {
            "Save Settings": 0.25,
            "Home": 0.15,
            "NextSong": 0.35,
            "Settings": 0.05,
            "Cancel": 0.01,
            plan_page: 0.02,
            "Logout": 0.01,
            "Error": 0.001,
        },
        "Save Settings": {"Home": 0.5, "NextSong": 0.35, "Settings": 0.05, "Error": 0.001},
        "Logout": {},  # to Logged Out Home, added below
        "Error": {"Home": 0.3, "NextSong": 0.3, "Help": 0.05, "Error": 0.02, "Logout": 0.01},
        "Cancel": {},  # to Cancellation Confirmation, added below
    }
    if free:
        rows["Upgrade"] = {
            "Submit Upgrade": 0.25,
            "NextSong": 0.4,
            "Home": 0.15,
            "Upgrade": 0.05,
            "Error": 0.001,
        }
        rows["Submit Upgrade"] = {}  # to paid Home, added below
    else:
        rows["Downgrade"] = {
            "Submit Downgrade": 0.12,
            "NextSong": 0.55,
            "Home": 0.15,
            "Downgrade": 0.05,
            "Cancel": 0.01,
            "Error": 0.001,
        }
        rows["Submit Downgrade"] = {}  # to free Home, added below
    return rows


def _state(page: str, auth: str, level: str) -> dict[str, Any]:
    method, status = PAGES[page]
    return {"page": page, "method": method, "status": status, "auth": auth, "level": level}


def build_config() -> dict[str, Any]:
    """The config as eventsim's JSON object."""
    transitions: list[dict[str, Any]] = []

    def add(source: dict[str, Any], dest: dict[str, Any], p: float) -> None:
        transitions.append({"source": source, "dest": dest, "p": p})

    for page, row in _GUEST.items():
        for dest, p in row.items():
            target = _state(dest, "Logged In" if dest == "Submit Registration" else "Guest", "free")
            add(_state(page, "Guest", "free"), target, p)
    add(
        _state("Submit Registration", "Logged In", "free"),
        _state("Home", "Logged In", "free"),
        0.999,
    )
    add(_state("Submit Registration", "Logged In", "free"), _state("Error", "Guest", "free"), 0.001)

    for level in ("free", "paid"):
        for page, row in _LOGGED_OUT.items():
            for dest, p in row.items():
                add(_state(page, "Logged Out", level), _state(dest, "Logged Out", level), p)
        login = _state("Login", "Logged Out", level)
        add(login, _state("Home", "Logged In", level), 0.95)
        add(login, _state("Home", "Logged Out", level), 0.049)
        add(login, _state("Error", "Logged Out", level), 0.001)

        for page, row in _logged_in(level).items():
            for dest, p in row.items():
                add(_state(page, "Logged In", level), _state(dest, "Logged In", level), p)
        add(_state("Logout", "Logged In", level), _state("Home", "Logged Out", level), 1.0)
        add(
            _state("Cancel", "Logged In", level),
            _state("Cancellation Confirmation", "Cancelled", level),
            1.0,
        )
    add(_state("Submit Upgrade", "Logged In", "free"), _state("Home", "Logged In", "paid"), 1.0)
    add(_state("Submit Downgrade", "Logged In", "paid"), _state("Home", "Logged In", "free"), 1.0)

    def start(page: str, auth: str, level: str, weight: int) -> dict[str, Any]:
        return {**_state(page, auth, level), "weight": weight}

    new_session = [
        start("Home", "Guest", "free", 100),
        start("About", "Guest", "free", 15),
        start("Help", "Guest", "free", 5),
        start("Register", "Guest", "free", 30),
    ]
    for level, songs in (("free", 1200), ("paid", 1800)):
        new_session += [
            start("Home", "Logged In", level, 1000),
            start("NextSong", "Logged In", level, songs),
            start("Help", "Logged In", level, 5),
            start("Home", "Logged Out", level, 1000),
            start("Login", "Logged Out", level, 600),
            start("Help", "Logged Out", level, 10),
        ]
    return {
        "seed": 1,
        "alpha": 60.0,
        "beta": 345600.0,
        "damping": 0.09375,
        "weekend-damping": 0.5,
        "weekend-damping-offset": 180,
        "weekend-damping-scale": 360,
        "session-gap": 1800,
        "churned-state": "Cancelled",
        "show-user-details": [
            {"auth": "Guest", "show": False},
            {"auth": "Logged In", "show": True},
            {"auth": "Logged Out", "show": False},
            {"auth": "Cancelled", "show": True},
        ],
        "levels": [{"level": "free", "weight": 10}, {"level": "paid", "weight": 3}],
        "auths": [
            {"auth": "Guest", "weight": 0},
            {"auth": "Logged In", "weight": 10},
            {"auth": "Logged Out", "weight": 1},
        ],
        "new-user-auth": "Guest",
        "new-user-level": "free",
        "new-session": new_session,
        "transitions": transitions,
    }


def render() -> str:
    return json.dumps(build_config(), indent=1) + "\n"


if __name__ == "__main__":
    CONFIG_PATH.write_text(render())
    print(f"wrote {CONFIG_PATH}")
