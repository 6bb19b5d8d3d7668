"""Learning parts shared by the chains: decoders (fit with scikit-learn, run in numpy, stored
as numbers), their calibration schemas, and classification/angle metrics."""
