"""Object detectors, one module per family; their building blocks (boxes, anchors, matching,
NMS, losses, heads) live in `zoo.detection`."""
