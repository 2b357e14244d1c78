import numpy as np
import torch

from reprolib.papers import closer_look
from reprolib.papers.closer_look import construction as C


def _separated_set(seed=0):
    """Two classes of 8x8 uint8 images whose L-inf separation is known (>= 60)."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randint(0, 40, (30, 1, 8, 8), generator=g)
    b = torch.randint(100, 140, (30, 1, 8, 8), generator=g)
    return torch.cat([a, b]).to(torch.uint8), torch.cat([torch.zeros(30), torch.ones(30)]).long()


def test_margin_lipschitz_and_astuteness_on_a_separated_set():
    x, y = _separated_set()
    dist, index = C.class_distances(x, x, y, num_classes=2)
    sep = int(dist.gather(1, (1 - y)[:, None]).min())       # 2r in uint8 units
    r_k = sep / 2
    assert torch.all(dist.gather(1, y[:, None]) == 0)
    assert float(C.margin(dist, y, r_k).min()) >= 2 - 1e-12
    assert torch.equal(C.predict(dist)[0], y)
    attacked = C.directed_attack(x, y, dist, index, x, int(np.ceil(r_k)) - 1)
    d_adv, _ = C.class_distances(attacked, x, y, num_classes=2)
    assert torch.equal(C.predict(d_adv)[0], y)               # astute strictly inside r
    beyond = C.directed_attack(x, y, dist, index, x, sep)     # reaching the other class flips some points
    d_far, _ = C.class_distances(beyond, x, y, num_classes=2)
    assert not torch.equal(C.predict(d_far)[0], y)
    noisy = (x.int() + torch.randint(-30, 31, x.shape)).clamp(0, 255).to(torch.uint8)
    d_noisy, _ = C.class_distances(noisy, x, y, num_classes=2)
    assert C.lipschitz_pairs(x, noisy, dist, d_noisy, r_k)["holds"]


def test_certified_radius_is_half_the_distance_gap():
    dist = torch.tensor([[10, 50], [40, 20]])
    y = torch.tensor([0, 0])
    assert torch.allclose(C.certified_radius(dist, y), torch.tensor([20 / 255, 0.0], dtype=torch.float64))


def test_spiral_construction_saturates_on_the_classes():
    x, y = closer_look.spiral(100)
    f, r = closer_look.binary_construction(x, y, x)
    assert r > 0
    assert float(f[y == 1].min()) >= 1 - 1e-9 and float(f[y == 0].max()) <= -1 + 1e-9
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.rand(500, 2, generator=g), torch.rand(500, 2, generator=g)
    f1, _ = closer_look.binary_construction(x, y, z1)
    f2, _ = closer_look.binary_construction(x, y, z2)
    assert torch.all((f1 - f2).abs() <= (z1 - z2).abs().amax(1).double() / r + 1e-9)
