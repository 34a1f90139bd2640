"""SE-ResNet / SE-ResNeXt as in Cadene's pretrainedmodels (pretrainedmodels/models/senet.py, BSD-3-Clause),
reduced to what the weights-import parity test needs: the same module tree, hence the same state_dict
key names (layer0.conv1.weight, layer1.0.se_module.fc1.weight, layer2.0.downsample.0.weight, last_linear.*),
and `features(x)` = layer0 .. layer4. Only the input_3x3=False, downsample kernel 1 / padding 0 variants
(se_resnet50/101, se_resnext50_32x4d/101_32x4d) are built."""
import math
from collections import OrderedDict

import torch.nn as nn


class SEModule(nn.Module):
    def __init__(self, channels, reduction):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, channels // reduction, kernel_size=1, padding=0)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(channels // reduction, channels, kernel_size=1, padding=0)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        module_input = x
        x = self.avg_pool(x)
        x = self.fc1(x)
        x = self.relu(x)
        x = self.fc2(x)
        x = self.sigmoid(x)
        return module_input * x


class Bottleneck(nn.Module):
    def forward(self, x):
        residual = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            residual = self.downsample(x)
        out = self.se_module(out) + residual
        return self.relu(out)


class SEResNetBottleneck(Bottleneck):
    """ResNet bottleneck with SE; the stride sits on the first 1x1 conv."""
    expansion = 4

    def __init__(self, inplanes, planes, groups, reduction, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False, stride=stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, padding=1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.se_module = SEModule(planes * 4, reduction=reduction)
        self.downsample = downsample
        self.stride = stride


class SEResNeXtBottleneck(Bottleneck):
    """ResNeXt bottleneck with SE; the stride sits on the grouped 3x3 conv."""
    expansion = 4

    def __init__(self, inplanes, planes, groups, reduction, stride=1, downsample=None, base_width=4):
        super().__init__()
        width = math.floor(planes * (base_width / 64)) * groups
        self.conv1 = nn.Conv2d(inplanes, width, kernel_size=1, bias=False, stride=1)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, kernel_size=3, stride=stride, padding=1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, planes * 4, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.se_module = SEModule(planes * 4, reduction=reduction)
        self.downsample = downsample
        self.stride = stride


class SENet(nn.Module):
    def __init__(self, block, layers, groups, reduction, inplanes=64, num_classes=1000):
        super().__init__()
        self.inplanes = inplanes
        self.layer0 = nn.Sequential(OrderedDict([
            ('conv1', nn.Conv2d(3, inplanes, kernel_size=7, stride=2, padding=3, bias=False)),
            ('bn1', nn.BatchNorm2d(inplanes)),
            ('relu1', nn.ReLU(inplace=True)),
            ('pool', nn.MaxPool2d(3, stride=2, ceil_mode=True)),
        ]))
        self.layer1 = self._make_layer(block, 64, layers[0], groups, reduction)
        self.layer2 = self._make_layer(block, 128, layers[1], groups, reduction, stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], groups, reduction, stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], groups, reduction, stride=2)
        self.avg_pool = nn.AvgPool2d(7, stride=1)
        self.dropout = None
        self.last_linear = nn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, groups, reduction, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, kernel_size=1, stride=stride, padding=0, bias=False),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, groups, reduction, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups, reduction))
        return nn.Sequential(*layers)

    def features(self, x):
        x = self.layer0(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        return x


def se_resnet50():
    return SENet(SEResNetBottleneck, [3, 4, 6, 3], groups=1, reduction=16)


def se_resnet101():
    return SENet(SEResNetBottleneck, [3, 4, 23, 3], groups=1, reduction=16)


def se_resnext50_32x4d():
    return SENet(SEResNeXtBottleneck, [3, 4, 6, 3], groups=32, reduction=16)


def se_resnext101_32x4d():
    return SENet(SEResNeXtBottleneck, [3, 4, 23, 3], groups=32, reduction=16)
