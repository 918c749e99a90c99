"""The Neural Turing Machine and the copy task: the generated data, the masked loss and bit
error rate, the cell's addressing, the errors users see, and the recorded figures."""

import keras
import numpy as np
import pytest
from keras import ops

import zoo
from zoo.data.algorithmic import IGNORED, copy_batch, copy_pipeline
from zoo.layers.memory import NTMCell, address
from zoo.objectives import BitErrorRate, MaskedBinaryCrossentropy
from zoo.registry import recorded_results


def test_a_copy_batch_shows_the_vectors_then_asks_for_them_back():
    inputs, targets = (t.numpy() for t in copy_batch((1, 2), 4, 5, bits=8))
    assert inputs.shape == (4, 11, 9) and targets.shape == (4, 11, 8)
    vectors = inputs[:, :5, :8]
    assert set(np.unique(vectors)) <= {0.0, 1.0} and not inputs[:, :5, 8].any()
    np.testing.assert_array_equal(inputs[:, 5], np.eye(9)[[8] * 4])  # the delimiter
    assert not inputs[:, 6:].any()  # nothing shown while the model answers
    assert (targets[:, :6] == IGNORED).all()
    np.testing.assert_array_equal(targets[:, 6:], vectors)


def test_training_batches_are_fresh_each_epoch_and_test_batches_fixed():
    train = copy_pipeline("train", batch_size=2, max_length=6, batches=3)
    first, second = ([x.numpy() for x, _ in train] for _ in range(2))
    assert any(a.shape != b.shape or not np.array_equal(a, b)
               for a, b in zip(first, second, strict=True))
    test = copy_pipeline("test", batch_size=2, max_length=6, batches=3)
    for a, b in zip([x.numpy() for x, _ in test], [x.numpy() for x, _ in test], strict=True):
        np.testing.assert_array_equal(a, b)
    lengths = {(x.shape[1] - 1) // 2 for x, _ in copy_pipeline("test", max_length=6)}
    assert lengths <= set(range(1, 7)) and len(lengths) > 3


def test_copy_options_are_checked():
    with pytest.raises(ValueError, match="min_length=5 exceeds max_length=3"):
        copy_pipeline(min_length=5, max_length=3)
    with pytest.raises(ValueError, match="classes: not options of the generated task copy"):
        zoo.data.load("copy", classes=(0, 1))
    with pytest.raises(ValueError, match="max_length sets an algorithmic task"):
        zoo.data.load("digits", max_length=5)
    with pytest.raises(ValueError, match="generated batch by batch"):
        zoo.data.raw_arrays("copy")


def test_the_loss_and_error_rate_count_only_the_answer():
    targets = np.array([[[IGNORED, IGNORED], [1.0, 0.0]]], "float32")
    logits = np.array([[[50.0, -50.0], [2.0, 1.0]]], "float32")
    loss = float(MaskedBinaryCrossentropy()(targets, logits))
    expected = np.mean([np.log1p(np.exp(-2.0)), np.log1p(np.exp(1.0))])
    assert loss == pytest.approx(expected, rel=1e-5)
    metric = BitErrorRate()
    metric.update_state(targets, logits)
    assert float(metric.result()) == 0.5  # of the two answer bits, the second is wrong


def test_content_addressing_finds_the_row_like_the_key():
    memory = np.eye(6, 4, dtype="float32")[None] * 3.0  # rows 0-3 orthogonal, 4-5 empty
    key = np.array([[0.0, 0.0, 1.0, 0.0]], "float32")
    weighting = address(memory, np.full((1, 6), 1 / 6, "float32"), key, 50.0, 1.0,
                         np.array([[0.0, 1.0, 0.0]], "float32"), 1.0)
    assert int(np.argmax(weighting)) == 2 and float(weighting[0, 2]) > 0.99
    np.testing.assert_allclose(ops.sum(weighting, axis=-1), 1.0, rtol=1e-5)


def test_location_addressing_shifts_the_previous_weighting():
    previous = np.eye(6, dtype="float32")[[2]]
    shifted = address(np.ones((1, 6, 4), "float32"), previous, np.ones((1, 4), "float32"),
                       1.0, 0.0, np.array([[0.0, 0.0, 1.0]], "float32"), 1.0)
    np.testing.assert_allclose(shifted, np.eye(6)[[3]], atol=1e-6)  # one row on
    around = address(np.ones((1, 6, 4), "float32"), np.eye(6, dtype="float32")[[0]],
                      np.ones((1, 4), "float32"), 1.0, 0.0,
                      np.array([[1.0, 0.0, 0.0]], "float32"), 1.0)
    np.testing.assert_allclose(around, np.eye(6)[[5]], atol=1e-6)  # circular


def test_the_cell_keeps_its_memory_and_weightings_in_its_state():
    cell = NTMCell(controller_units=8, memory_size=10, memory_width=4)
    rnn = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    outputs, h, c, memory, read_w, write_w, read = rnn(np.zeros((2, 3, 5), "float32"))
    assert outputs.shape == (2, 3, 12) and memory.shape == (2, 40)
    np.testing.assert_allclose(ops.sum(read_w, axis=-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(ops.sum(write_w, axis=-1), 1.0, rtol=1e-5)
    assert not np.allclose(memory, 1e-6)  # the write head wrote


def test_ntm_arguments_are_checked():
    with pytest.raises(ValueError, match="memory_size=0"):
        zoo.get_model("ntm", memory_size=0)
    with pytest.raises(ValueError, match="bits=0"):
        zoo.get_model("lstm_sequence", bits=0)


# Recorded by benchmarks/copy_task.py.
RECORDED = {(row["model"], row["metric"]): row for row in recorded_results()
            if zoo.model_card(row["model"]).task == "sequence-transduction"}


def test_both_models_are_measured_at_the_trained_lengths_and_at_twice_them():
    assert set(RECORDED) == {(model, metric) for model in ("ntm", "lstm_sequence")
                             for metric in ("bit_error_rate", "length20_bit_error_rate")}


def test_the_ntm_copies_with_at_most_one_percent_bit_errors():
    assert RECORDED["ntm", "bit_error_rate"]["value"] <= 0.01


def test_the_ntm_generalises_to_twice_the_length_where_the_lstm_does_not():
    # Graves et al. 2014, Figures 4 and 5: the NTM's copy holds beyond the trained lengths.
    assert RECORDED["ntm", "length20_bit_error_rate"]["value"] < \
        RECORDED["lstm_sequence", "length20_bit_error_rate"]["value"] / 10
