"""The Fisher-Kolmogorov growth model of gliomas, shared by the generator (``synth/glioma.py``)
and the forecasts (``longitudinal/spatial.py``)."""
