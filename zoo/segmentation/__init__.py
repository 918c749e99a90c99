"""Semantic segmentation: a class for every pixel.

- `layers`: cropping an upsampled map to its skip's size, and FCN's bilinear initialiser for
  transposed convolutions;
- `scores`: the confusion matrix over pixels and what is read off it (per-class IoU, mean
  IoU, pixel accuracy);
- `signatures`: what an exported segmenter serves;
- `measure`: train a segmenter by its recipe and score it on the test split.

The models (FCN-8s, U-Net) are in `zoo.models.segmentation`; their data are the detection
canvases' class maps (`zoo.data.load("fashion_digits_canvas", targets="segmentation")`).
"""
