"""A tumour's volume forecast from its past scans: a growth curve fitted per region, with a
prediction interval, or the reason there is none.

Models, fitted to (days since baseline, volume in cm^3):

- ``exponential``: log V = a + b t (untreated gliomas grow roughly exponentially over months;
  doubling time log 2 / b);
- ``linear``: V = a + b t;
- ``gompertz``: V = K exp(log(V0 / K) exp(-r t)), growth that slows towards a plateau K; fitted
  from ``GOMPERTZ_MIN_SCANS`` scans on.

Choice (stated in ``Forecast.why``): by AICc on the residuals of log V (every model compared on
the same scale) when each candidate leaves at least two residual degrees of freedom; otherwise
(two or three scans) the exponential, the usual model of untreated glioma growth. The
prediction interval (95 %) is that of a regression on log V at the forecast day: residual
variance with a t quantile, never below the measurement error ``MEASUREMENT_SD`` (segmented
volumes differ by about 10 % between raters and models); with two scans, from the measurement
error alone (no residual is left). No forecast, with the reason, for fewer than two dated scans,
a region absent at some scan (zero volume: no growth curve), or a fit that does not hold (log
residual SD above ``MAX_LOG_SD``, a factor of 1.65 from the data). An extrapolation, not a
prognosis: it says where the measured trend leads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

MEASUREMENT_SD = 0.10  # log-volume measurement error (about 10 %)
MAX_LOG_SD = 0.5  # a fit whose log residual SD exceeds this does not hold
GOMPERTZ_MIN_SCANS = 5
MODELS = ("exponential", "linear", "gompertz")


@dataclass(frozen=True)
class Forecast:
    """One region's forecast (or the reason there is none: ``volume_cm3`` is NaN).

    Attributes:
        model: the model chosen ('' when none).
        why: how it was chosen, or why there is no forecast.
        day: the forecast day (days since baseline).
        volume_cm3, low_cm3, high_cm3: the forecast and its 95 % prediction interval.
        rate_per_day: exponential growth rate b (1/day; NaN for other models).
        doubling_days: log 2 / b for a growing exponential (NaN otherwise).
        log_sd: the residual SD of log V of the chosen fit (NaN with two scans).
    """

    model: str
    why: str
    day: float
    volume_cm3: float = float("nan")
    low_cm3: float = float("nan")
    high_cm3: float = float("nan")
    rate_per_day: float = float("nan")
    doubling_days: float = float("nan")
    log_sd: float = float("nan")

    @property
    def made(self) -> bool:
        return bool(np.isfinite(self.volume_cm3))


def _log_exponential(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return p[0] + p[1] * t


def _log_linear(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(p[0] + p[1] * t, 1e-9))


def _log_gompertz(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """log V of V = K exp(log(V0 / K) exp(-r t)); p = (log V0, log K, log r)."""
    return p[1] + (p[0] - p[1]) * np.exp(-np.exp(p[2]) * t)


CURVES = {"exponential": _log_exponential, "linear": _log_linear, "gompertz": _log_gompertz}


def _jacobian(curve, t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """d curve(t) / d p, (len(t), len(p)), by central differences."""
    out = np.zeros((len(t), len(p)))
    for i in range(len(p)):
        step = np.zeros_like(p)
        step[i] = 1e-6 * max(1.0, abs(p[i]))
        out[:, i] = (curve(t, p + step) - curve(t, p - step)) / (2 * step[i])
    return out


def _fits(days: np.ndarray, volumes: np.ndarray) -> dict[str, np.ndarray]:
    """model -> parameters, every model fitted by least squares on log V."""
    logv = np.log(volumes)
    design = np.stack([np.ones_like(days), days], axis=1)
    fits = {"exponential": np.linalg.lstsq(design, logv, rcond=None)[0]}
    start = np.linalg.lstsq(design, volumes, rcond=None)[0]
    if np.all(design @ start > 0):
        fit = optimize.least_squares(lambda p: _log_linear(days, p) - logv, start)
        if np.all(fit.x[0] + fit.x[1] * days > 0):
            fits["linear"] = fit.x
    if len(days) >= GOMPERTZ_MIN_SCANS:
        start = np.array([logv[0], np.log(volumes.max() * 1.5), np.log(0.01)])
        fit = optimize.least_squares(lambda p: _log_gompertz(days, p) - logv, start)
        if fit.success and fit.x[1] > logv.max():
            fits["gompertz"] = fit.x
    return fits


def _aicc(residuals: np.ndarray, k: int) -> float:
    n = len(residuals)
    rss = max(float(residuals @ residuals), 1e-12)
    return n * np.log(rss / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)


def _choose(fits: dict, days: np.ndarray, logv: np.ndarray) -> tuple[str, str]:
    """(model, why) by AICc, or the exponential when some candidate has too few scans."""
    n = len(days)
    if any(n - len(p) < 2 for p in fits.values()) or len(fits) == 1:
        return "exponential", f"{n} scans: exponential (too few scans to compare models)"
    scores = {m: _aicc(CURVES[m](days, p) - logv, len(p)) for m, p in fits.items()}
    best = min(scores, key=scores.get)
    listed = ", ".join(f"{m} {s:.1f}" for m, s in sorted(scores.items(), key=lambda x: x[1]))
    return best, f"{n} scans: lowest AICc on log volume ({listed})"


def forecast_volume(days: np.ndarray, volumes: np.ndarray, day: float) -> Forecast:
    """The forecast at ``day`` (days since baseline) of a region measured ``volumes`` (cm^3)
    at ``days``."""
    days, volumes = np.asarray(days, float), np.asarray(volumes, float)
    if len(days) < 2 or not np.all(np.isfinite(days)):
        return Forecast("", f"{len(days)} dated scan(s): a forecast needs two or more", day)
    if len(np.unique(days)) < len(days):
        return Forecast("", "two scans on the same day: give each scan its own date", day)
    if np.any(volumes <= 0):
        return Forecast("", "absent at some scan (volume 0): no growth curve to follow", day)
    logv = np.log(volumes)
    fits = _fits(days, volumes)
    model, why = _choose(fits, days, logv)
    params, curve = fits[model], CURVES[model]
    residuals = curve(days, params) - logv
    dof = len(days) - len(params)
    log_sd = float(np.sqrt(residuals @ residuals / dof)) if dof > 0 else float("nan")
    if np.isfinite(log_sd) and log_sd > MAX_LOG_SD:
        return Forecast("", f"the {model} fit does not hold (log residual SD {log_sd:.2f} > "
                        f"{MAX_LOG_SD})", day, log_sd=log_sd)  # fmt: skip
    if model == "linear" and params[0] + params[1] * day <= 0:
        return Forecast("", "the linear fit reaches zero before that day", day)
    # the interval of a regression on log V: sd^2 (1 + J(day) (J'J)^-1 J(day)')
    sd = max(log_sd, MEASUREMENT_SD) if dof > 0 else MEASUREMENT_SD
    quantile = (
        stats.t.ppf(0.975, dof) if dof > 0 and log_sd > MEASUREMENT_SD else stats.norm.ppf(0.975)
    )
    jac = _jacobian(curve, days, params)
    at = _jacobian(curve, np.array([float(day)]), params)[0]
    leverage = float(at @ np.linalg.pinv(jac.T @ jac) @ at)
    centre = float(curve(np.array([float(day)]), params)[0])
    half = quantile * sd * np.sqrt(1 + leverage)
    rate = float(params[1]) if model == "exponential" else float("nan")
    doubling = float(np.log(2) / rate) if model == "exponential" and rate > 0 else float("nan")
    return Forecast(
        model, why, float(day), float(np.exp(centre)), float(np.exp(centre - half)),
        float(np.exp(centre + half)), rate, doubling, log_sd,
    )  # fmt: skip


REGIONS = ("et", "tc", "wt")


def forecast_patient(rows: list[dict], day: float) -> list[dict]:
    """``forecast.csv`` rows of one patient: per region (ET, TC, WT) the forecast at ``day``
    (days since the patient's baseline), from its ``measurements.csv`` rows (with ``days``)."""
    days = np.array([r["days"] for r in rows], float)
    last = rows[-1]
    out = []
    for region in REGIONS:
        volumes = np.array([r[f"{region}_cm3"] for r in rows], float)
        f = forecast_volume(days, volumes, day)
        out.append({
            "patient_id": last["patient_id"], "region": region.upper(), "scans": len(rows),
            "last_date": last["date"], "last_cm3": round(float(volumes[-1]), 3),
            "day": round(float(day), 1), "days_ahead": round(float(day - days[-1]), 1),
            "model": f.model, "volume_cm3": round(f.volume_cm3, 3),
            "low_cm3": round(f.low_cm3, 3), "high_cm3": round(f.high_cm3, 3),
            "rate_per_day": round(f.rate_per_day, 6), "doubling_days": round(f.doubling_days, 1),
            "log_sd": round(f.log_sd, 4), "note": f.why,
        })  # fmt: skip
    return out


def forecast_curve(rows: list[dict], region: str, day: float, points: int = 40) -> np.ndarray:
    """(points, 4): day, forecast, low, high of ``region`` from the last scan to ``day``
    (NaN rows when there is no forecast): the dashed line and band of the course plot."""
    days = np.array([r["days"] for r in rows], float)
    volumes = np.array([r[f"{region}_cm3"] for r in rows], float)
    grid = np.linspace(days[-1], day, points)
    out = []
    for t in grid:
        f = forecast_volume(days, volumes, t)
        out.append((t, f.volume_cm3, f.low_cm3, f.high_cm3))
    return np.asarray(out)
