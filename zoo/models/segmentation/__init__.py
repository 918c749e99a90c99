"""Semantic segmenters: FCN-8s and U-Net on zoo's headless backbones."""
