"""p4 layers and the MNIST GCNN (REPRO_SPEC Part II §2.9, spatial.table1).

What must hold: parameter counts, shapes, and 90° equivariance g·F(x) = F(g·x) of every p4 layer and of the
GCNN's feature stack, where g acts on images by rot90 and on p4 fields by rot90 of every map plus a cyclic
shift of the rotation axis. A head that max-pools over rotations and space is then exactly invariant. The
paper's GCNN feeds all 4 orientations to its FC layer (erratum 28), so its logits are NOT invariant, and the
last test checks exactly that.
"""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from reprolib import models
from reprolib.errors import ConfigError
from reprolib.gcnn import GCNN, P4ConvP4, P4ConvZ2, equivariance_error, p4_max_pool2d, p4_pool, rot90_field


def rot_image(x):
    return torch.rot90(x, 1, dims=(-2, -1))


rot_field = rot90_field


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def test_parameter_counts_and_registry():
    assert models.num_params(models.build("GCNN")) == 89_910
    assert models.num_params(models.build("StdCNN")) == 23_010
    assert isinstance(models.build("GCNN"), GCNN)


def test_shapes():
    x = torch.rand(2, 1, 28, 28)
    assert P4ConvZ2(1, 10, 3)(x).shape == (2, 10, 4, 26, 26)
    f = torch.rand(2, 10, 4, 12, 12)
    assert P4ConvP4(10, 20, 3)(f).shape == (2, 20, 4, 10, 10)
    assert p4_max_pool2d(f).shape == (2, 10, 4, 6, 6)
    assert p4_pool(f).shape == (2, 10, 12, 12)
    model = GCNN()
    assert model.features(x).shape == (2, 20, 4, 4, 4)
    assert model(x).shape == (2, 10)


def test_lifting_rotation_zero_is_plain_conv():
    layer, x = P4ConvZ2(3, 5, 3), torch.rand(2, 3, 9, 9)
    torch.testing.assert_close(layer(x)[:, :, 0], F.conv2d(x, layer.weight, layer.bias))


def test_p4convz2_equivariance():
    layer, x = P4ConvZ2(2, 6, 3), torch.rand(3, 2, 11, 11)
    torch.testing.assert_close(layer(rot_image(x)), rot_field(layer(x)), atol=1e-5, rtol=0)


def test_p4convp4_equivariance():
    layer, f = P4ConvP4(3, 5, 3, padding=1), torch.rand(2, 3, 4, 10, 10)
    torch.testing.assert_close(layer(rot_field(f)), rot_field(layer(f)), atol=1e-5, rtol=0)


def test_gcnn_features_equivariant_and_pooled_head_invariant():
    model, x = GCNN().eval(), torch.rand(4, 1, 28, 28)
    torch.testing.assert_close(model.features(rot_image(x)), rot_field(model.features(x)), atol=1e-5, rtol=0)
    head = nn.Linear(20, 10)

    def invariant(z):
        return head(p4_pool(model.features(z)).amax((-2, -1)))

    for k in range(1, 4):
        torch.testing.assert_close(invariant(torch.rot90(x, k, (-2, -1))), invariant(x), atol=1e-5, rtol=0)


def test_equivariance_error_of_the_registry_gcnn_vanishes_and_of_stdcnn_does_not():
    """The registry's GCNN (normalising its input) stays equivariant; a plain CNN's feature maps are not."""
    x = torch.rand(4, 1, 28, 28)
    assert equivariance_error(models.build("GCNN").eval().features, x) < 1e-5
    std = models.build("StdCNN").eval().features
    with torch.no_grad():
        err = float((std(rot_image(x)) - rot_image(std(x))).abs().max())
    assert err > 1e-2


def test_paper_gcnn_logits_not_invariant():
    model, x = GCNN().eval(), torch.rand(4, 1, 28, 28)
    assert not torch.allclose(model(rot_image(x)), model(x), atol=1e-3)


def test_bad_arguments():
    with pytest.raises(ConfigError, match="out_channels"):
        P4ConvZ2(1, 0, 3)
    with pytest.raises(ConfigError, match="P4ConvP4"):
        P4ConvP4(1, 2, 3)(torch.rand(1, 1, 8, 8))
