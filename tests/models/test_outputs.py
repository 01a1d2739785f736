"""What each output kind does with logits, labels and probabilities."""

import numpy as np
import pytest
import torch

from smart_brains.data.labels import ED, ET, NCR
from smart_brains.models.outputs import (
    IGNORE,
    LABEL_OUTPUT,
    REGION_OUTPUT,
    CaseClassOutput,
    enforce_nesting,
    output_for_loss,
)


def test_nesting_caps_inner_regions_by_outer_ones():
    probs = np.zeros((3, 2, 1, 1), np.float32)
    probs[:, 0, 0, 0] = [0.9, 0.2, 0.8]  # ET above TC: capped at TC (0.2) -> not ET
    probs[:, 1, 0, 0] = [0.3, 0.9, 0.9]  # TC and ET outside WT: capped at 0.3 -> background
    nested = enforce_nesting(probs)
    assert np.all(nested[1] <= nested[0]) and np.all(nested[2] <= nested[1])
    labels = REGION_OUTPUT.decode(probs)
    assert labels[0, 0, 0] == ED and labels[1, 0, 0] == 0


def test_labels_target_is_argmax():
    probs = np.zeros((4, 1, 1, 2), np.float32)
    probs[3, 0, 0, 0] = probs[1, 0, 0, 1] = 1
    assert LABEL_OUTPUT.decode(probs).tolist() == [[[ET, NCR]]]


def test_every_loss_names_one_output_and_encoding_matches_it():
    labels = np.array([[[0, 1, 2, 3]]], np.uint8)
    assert (
        output_for_loss("dice_bce") is REGION_OUTPUT and output_for_loss("dice_ce") is LABEL_OUTPUT
    )
    regions = REGION_OUTPUT.encode(labels)
    assert regions.shape == (3, 1, 1, 4) and regions.dtype == torch.float32
    assert regions[:, 0, 0].tolist() == [[0, 1, 1, 1], [0, 1, 0, 1], [0, 0, 0, 1]]
    assert LABEL_OUTPUT.encode(labels).dtype == torch.int64
    assert REGION_OUTPUT.decode(REGION_OUTPUT.encode(labels).numpy()).tolist() == labels.tolist()


def test_case_class_output():
    out = CaseClassOutput("grade", ("HGG", "LGG"))
    assert (out.encode("LGG"), out.encode(""), out.decode(np.array([0.7, 0.3]))) == (
        1,
        IGNORE,
        "HGG",
    )
    assert out.activate(torch.tensor([[0.0, 0.0]])).tolist() == [[0.5, 0.5]]
    # a class the run was not trained on is unknown to the head: ignored by the loss
    assert out.encode("PED") == IGNORE
    logits = torch.tensor([[2.0, -1.0], [0.0, 0.0]])
    targets = torch.tensor([out.encode("PED"), out.encode("LGG")])
    loss = torch.nn.functional.cross_entropy(logits, targets, ignore_index=IGNORE)
    assert float(loss) == pytest.approx(float(np.log(2.0)))  # only the LGG case counts
