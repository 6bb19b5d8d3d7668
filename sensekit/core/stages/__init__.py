"""Stages shared by the chains: filters, windows, channel selection, resampling, scaling."""

from .filters import BandPass, HighPass, IIRFilter, LowPass, Notch, SOSFilter, butter_sos
from .normalize import Standardise, standardisation
from .resample import Resample
from .select import ABSURD_SAMPLE, SelectChannels, SetMeta, SignalCheck, ToUnit, lost_samples
from .window import Window

__all__ = [
    "SOSFilter",
    "IIRFilter",
    "BandPass",
    "HighPass",
    "LowPass",
    "Notch",
    "butter_sos",
    "Window",
    "SelectChannels",
    "SetMeta",
    "ToUnit",
    "SignalCheck",
    "ABSURD_SAMPLE",
    "lost_samples",
    "Resample",
    "Standardise",
    "standardisation",
]
