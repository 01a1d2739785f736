"""smart-brains: segmentation and classification of brain tumours in multimodal 3D MRI."""

from __future__ import annotations

__version__ = "0.1.0"
