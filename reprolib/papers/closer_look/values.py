"""closer_look's published numbers (and cake Table 2's separations, computed by the same section), copied from ``shared/REPRO_SPEC.md`` (a test checks them against it).

Accuracies are fractions in [0, 1]; Lipschitz constants are unitless; separations are distances
on pixels in [0, 1].
"""

# closer_look Table 1 and cake Table 2: (min train-train, min test-train) L-inf separation, and the
# eps the papers attack with on that dataset.
SEPARATION = {
    "mnist": {"train_train": 0.737, "test_train": 0.812, "eps": 0.1, "source": "closer_look Table 1"},
    "fashion_mnist": {"train_train": 0.318, "test_train": 0.322, "eps": 0.1, "source": "cake Table 2"},
    "cifar10": {"train_train": 0.212, "test_train": 0.220, "eps": 0.031, "source": "closer_look Table 1"},
    "svhn": {"train_train": 0.094, "test_train": 0.110, "eps": 0.031, "source": "closer_look Table 1"},
}

_T2_COLUMNS = ("train_acc", "test_acc", "adv_test_acc", "lipschitz", "gap", "adv_gap")
_T2 = {
    "CNN1": {
        "Natural": (100.00, 99.20, 59.83, 67.25, 0.80, 0.45),
        "GR": (99.99, 99.29, 91.03, 26.05, 0.70, 3.49),
        "LLR": (100.00, 99.43, 92.14, 30.44, 0.57, 4.42),
        "AT": (99.98, 99.31, 97.21, 8.84, 0.67, 2.67),
        "RST(λ=.5)": (100.00, 99.34, 96.53, 11.09, 0.66, 3.16),
        "RST(λ=1)": (100.00, 99.31, 96.96, 11.31, 0.69, 2.95),
        "RST(λ=2)": (100.00, 99.31, 97.09, 12.39, 0.69, 2.87),
        "TRADES(β=1)": (99.81, 99.26, 96.60, 9.69, 0.55, 2.10),
        "TRADES(β=3)": (99.21, 98.96, 96.66, 7.83, 0.25, 1.33),
        "TRADES(β=6)": (97.50, 97.54, 93.68, 2.87, -0.04, 0.37),
    },
    "CNN2": {
        "Natural": (100.00, 99.51, 86.01, 23.06, 0.49, -0.28),
        "GR": (99.99, 99.55, 93.71, 20.26, 0.44, 2.55),
        "LLR": (100.00, 99.57, 95.13, 9.75, 0.43, 2.28),
        "AT": (99.98, 99.48, 98.03, 6.09, 0.50, 1.92),
        "RST(λ=.5)": (100.00, 99.53, 97.72, 8.27, 0.47, 2.27),
        "RST(λ=1)": (100.00, 99.55, 98.27, 6.26, 0.45, 1.73),
        "RST(λ=2)": (100.00, 99.56, 98.48, 4.55, 0.44, 1.52),
        "TRADES(β=1)": (99.96, 99.58, 98.10, 4.74, 0.38, 1.70),
        "TRADES(β=3)": (99.80, 99.57, 98.54, 2.14, 0.23, 1.18),
        "TRADES(β=6)": (99.61, 99.59, 98.73, 1.36, 0.02, 0.80),
    },
}


def _as_fractions(row: tuple, columns: tuple = _T2_COLUMNS) -> dict:
    """A percent row as {column: fraction} (the Lipschitz constant stays as it is)."""
    return {c: (v if c == "lipschitz" else round(v / 100, 6)) for c, v in zip(columns, row)}


def _frame(table: dict, columns: tuple, index_names: list[str]):
    """{row key: {dataset: values}} as a DataFrame with (dataset, metric) columns, in percent."""
    import pandas as pd

    data = {key: {(ds, c): v for ds, row in rows.items() for c, v in zip(columns, row)}
            for key, rows in table.items()}
    df = pd.DataFrame.from_dict(data, orient="index")
    df.index.names = index_names
    return df


# closer_look Table 2 (MNIST, eps = 0.1): {arch: {method: {column: value}}}, accuracies as fractions.
TABLE2 = {arch: {m: _as_fractions(r) for m, r in rows.items()} for arch, rows in _T2.items()}
TABLE2_PERCENT = _T2
TABLE2_COLUMNS = _T2_COLUMNS

# closer_look Table 4 (dropout; SVHN and CIFAR-10, eps = 0.031), as reconstructed in REPRO_SPEC (cells lost in
# the text conversion are None). Columns per dataset: test acc, adv test acc, test Lipschitz, gap, adv gap (%).
TABLE4_COLUMNS = ("test_acc", "adv_test_acc", "lipschitz", "gap", "adv_gap")
TABLE4_PERCENT = {  # (method, dropout): {dataset: row}
    ("Natural", False): {"svhn": (95.85, 2.66, 149.82, 4.15, 0.87), "cifar10": (93.81, 0.00, 425.71, 6.19, 0.00)},
    ("Natural", True): {"svhn": (96.66, 1.52, 152.38, None, None), "cifar10": (93.87, 0.00, 384.48, 6.13, None)},
    ("AT", False): {"svhn": (91.68, 54.17, 16.51, 5.11, 25.74), "cifar10": (83.51, 43.51, 26.23, 16.33, 49.94)},
    ("AT", True): {"svhn": (93.05, 57.90, 11.68, -0.14, 6.48), "cifar10": (85.20, 43.07, 31.59, 14.51, 44.05)},
    ("RST(λ=2)", False): {"svhn": (92.39, 51.39, 23.17, 6.86, 36.02), "cifar10": (83.87, 41.75, 23.80, 15.86, 43.54)},
    ("RST(λ=2)", True): {"svhn": (95.19, 55.22, 17.59, 1.90, 11.30), "cifar10": (85.49, 40.24, 34.45, 14.00, 33.07)},
    ("TRADES(β=3)", False): {"svhn": (91.85, 54.37, 10.15, 7.48, 33.33), "cifar10": (85.55, 46.63, 22.42, 14.23, 47.67)},
    ("TRADES(β=3)", True): {"svhn": (94.00, 62.41, 4.99, 0.48, 7.91), "cifar10": (86.43, 49.01, 14.69, 12.59, 35.03)},
    ("TRADES(β=6)", False): {"svhn": (91.83, 58.12, 5.20, 5.35, 23.88), "cifar10": (84.46, 48.58, 13.05, 14.47, 42.65)},
    ("TRADES(β=6)", True): {"svhn": (93.46, 63.24, 3.30, 0.45, 5.97), "cifar10": (84.69, 52.32, 8.13, 11.91, 26.49)},
}


def table4_frame():
    """The paper's Table 4 as a DataFrame (rows: method, dropout; columns: dataset, metric), in percent."""
    return _frame(TABLE4_PERCENT, TABLE4_COLUMNS, ["method", "dropout"])


# closer_look Table 3: CIFAR-10 (eps 0.031, WRN-40-10) and Restricted ImageNet (eps 0.005, ResNet-50), in percent
# (Lipschitz unitless). Columns per dataset: train, test, adv test acc, test Lipschitz, gap, adv gap.
TABLE3_PERCENT = {
    "Natural": {"cifar10": (100.00, 93.81, 0.00, 425.71, 6.19, 0.00),
                "restricted_imagenet": (97.72, 93.47, 7.89, 32228.51, 4.25, -0.46)},
    "GR": {"cifar10": (94.90, 80.74, 21.32, 28.53, 14.16, 3.94),
           "restricted_imagenet": (91.12, 88.51, 62.14, 886.75, 2.61, 0.19)},
    "LLR": {"cifar10": (100.00, 91.44, 22.05, 94.68, 8.56, 4.50),
            "restricted_imagenet": (98.76, 93.44, 52.62, 4795.66, 5.32, 0.22)},
    "RST(λ=.5)": {"cifar10": (99.90, 85.11, 39.58, 20.67, 14.79, 36.26),
                  "restricted_imagenet": (96.08, 92.02, 79.24, 451.57, 4.06, 4.57)},
    "RST(λ=1)": {"cifar10": (99.86, 84.61, 40.89, 23.15, 15.25, 41.31),
                 "restricted_imagenet": (95.66, 92.06, 79.69, 355.43, 3.61, 4.67)},
    "RST(λ=2)": {"cifar10": (99.73, 83.87, 41.75, 23.80, 15.86, 43.54),
                 "restricted_imagenet": (96.02, 91.14, 81.41, 394.40, 4.87, 6.19)},
    "AT": {"cifar10": (99.84, 83.51, 43.51, 26.23, 16.33, 49.94),
           "restricted_imagenet": (96.22, 90.33, 82.25, 287.97, 5.90, 8.23)},
    "TRADES(β=1)": {"cifar10": (99.76, 84.96, 43.66, 28.01, 14.80, 44.60),
                    "restricted_imagenet": (97.39, 92.27, 79.90, 2144.66, 5.13, 6.66)},
    "TRADES(β=3)": {"cifar10": (99.78, 85.55, 46.63, 22.42, 14.23, 47.67),
                    "restricted_imagenet": (95.74, 90.75, 82.28, 396.67, 5.00, 6.41)},
    "TRADES(β=6)": {"cifar10": (98.93, 84.46, 48.58, 13.05, 14.47, 42.65),
                    "restricted_imagenet": (93.34, 88.92, 82.13, 200.90, 4.42, 5.31)},
}
TABLE3_COLUMNS = ("train_acc", "test_acc", "adv_test_acc", "lipschitz", "gap", "adv_gap")


# closer_look Table 3's CIFAR-10 rows as fractions: {method: {column: value}} (for paper-vs-ours tables).
TABLE3_CIFAR10 = {m: _as_fractions(rows["cifar10"], TABLE3_COLUMNS)
                              for m, rows in TABLE3_PERCENT.items()}


def table3_frame():
    """The paper's Table 3 as a DataFrame (rows: method; columns: dataset, metric), in percent."""
    return _frame(TABLE3_PERCENT, TABLE3_COLUMNS, ["method"])
