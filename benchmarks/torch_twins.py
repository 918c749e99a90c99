"""The networks `benchmarks/vs_pytorch.py` times, written in plain PyTorch layer for layer as zoo
builds them, so that both sides compute the same graph with the same parameter count (the
benchmark checks the counts before it times anything).

torchvision is not used: its PyPI wheels do not load beside the CPU build of torch this
project's `peers` extra installs ("operator torchvision::nms does not exist"), and its
ResNet-50 is the v1.5 variant (stride on the 3x3 convolution, no convolution biases) while
zoo's follows keras.applications (stride on the first 1x1 convolution, biases on every
convolution). The twin below is keras.applications' ResNet-50 in PyTorch; the difference in
work between the two variants is under 1% of the multiply-adds of a 224x224 image.
"""

import torch
from torch import nn

BN_EPSILON = 1.001e-5  # zoo.layers.residual.BN_EPSILON, keras.applications' value
BN_MOMENTUM = 0.01  # Keras' 0.99 in PyTorch's convention


def batch_norm(channels):
    return nn.BatchNorm2d(channels, eps=BN_EPSILON, momentum=BN_MOMENTUM)


def lenet5(num_classes=10):
    """zoo's `lenet5`: C1 (6, 5x5, same), max-pool, C3 (16, 5x5), max-pool, C5 (120, 5x5),
    F6 (84) and the classifier, ReLU throughout."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 120, 5), nn.ReLU(), nn.Flatten(),
        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes))


def mlp(num_classes=10, input_features=28 * 28):
    """zoo's `mlp`: two hidden layers of 128 and 32 ReLU units."""
    return nn.Sequential(nn.Flatten(), nn.Linear(input_features, 128), nn.ReLU(),
                         nn.Linear(128, 32), nn.ReLU(), nn.Linear(32, num_classes))


class ZeroPaddedShortcut(nn.Module):
    """Option A of He et al. (2016): subsample by `stride`, pad channels with zeros (as
    zoo.layers.residual.ZeroPaddedShortcut, on NCHW tensors)."""

    def __init__(self, filters, stride):
        super().__init__()
        self.filters, self.stride = filters, stride

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        extra = self.filters - x.shape[1]
        return nn.functional.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))


class BasicBlock(nn.Module):
    """zoo.layers.residual.basic_block with the zero-padded shortcut."""

    def __init__(self, inputs, filters, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, filters, 3, stride, padding=1, bias=False)
        self.bn1 = batch_norm(filters)
        self.conv2 = nn.Conv2d(filters, filters, 3, padding=1, bias=False)
        self.bn2 = batch_norm(filters)
        self.shortcut = (nn.Identity() if stride == 1 and inputs == filters
                         else ZeroPaddedShortcut(filters, stride))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.shortcut(x) + self.bn2(self.conv2(y)))


def resnet_cifar(depth=20, num_classes=10, channels=1):
    """zoo's `resnet20` (and 32, 44, 56, 110): a 3x3 stem, three stacks of (depth - 2) / 6
    basic blocks at 16, 32 and 64 filters, global average pooling and the classifier."""
    blocks = (depth - 2) // 6
    layers = [nn.Conv2d(channels, 16, 3, padding=1, bias=False), batch_norm(16), nn.ReLU()]
    inputs = 16
    for filters, stride in ((16, 1), (32, 2), (64, 2)):
        for index in range(blocks):
            layers.append(BasicBlock(inputs, filters, stride if index == 0 else 1))
            inputs = filters
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes)]
    return nn.Sequential(*layers)


class Bottleneck(nn.Module):
    """keras.applications' (and zoo.layers.residual.bottleneck_block's) ResNet v1 block: the
    stride on the first 1x1 convolution, biases on every convolution, a projection shortcut
    in the first block of a stack."""

    def __init__(self, inputs, filters, stride, project):
        super().__init__()
        outputs = 4 * filters
        self.shortcut = (nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride), batch_norm(outputs))
                         if project else nn.Identity())
        self.body = nn.Sequential(
            nn.Conv2d(inputs, filters, 1, stride), batch_norm(filters), nn.ReLU(),
            nn.Conv2d(filters, filters, 3, padding=1), batch_norm(filters), nn.ReLU(),
            nn.Conv2d(filters, outputs, 1), batch_norm(outputs))

    def forward(self, x):
        return torch.relu(self.shortcut(x) + self.body(x))


def resnet50(num_classes=1000):
    """keras.applications' ResNet-50 (zoo's `resnet50`): 7x7/2 stem, 3x3/2 max-pool, stacks
    of 3, 4, 6 and 3 bottlenecks, global average pooling and the classifier."""
    layers = [nn.Conv2d(3, 64, 7, 2, padding=3), batch_norm(64), nn.ReLU(),
              nn.MaxPool2d(3, 2, padding=1)]  # after a ReLU, -inf padding equals Keras' zeros
    inputs = 64
    for filters, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for index in range(blocks):
            layers.append(Bottleneck(inputs, filters, stride if index == 0 else 1,
                                     project=index == 0))
            inputs = 4 * filters
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, num_classes)]
    return nn.Sequential(*layers)


BUILDERS = {
    "lenet5": lambda classes, shape: lenet5(classes),
    "mlp": lambda classes, shape: mlp(classes, shape[0] * shape[1] * shape[2]),
    "resnet20": lambda classes, shape: resnet_cifar(20, classes, shape[-1]),
    "resnet50": lambda classes, shape: resnet50(classes),
}
