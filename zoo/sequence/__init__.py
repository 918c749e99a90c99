"""Tools for sequence models that are not text: measuring forecasters against the forecasts
they must beat (`zoo.sequence.measure`)."""
