"""Keras' CIFAR-10 CNN example with its hidden convolutions replaced by ``Residual`` blocks.

The original (keras-team/keras ``examples/cifar10_cnn.py``) stacks Conv2D(32) x 2,
pooling, Conv2D(64) x 2, pooling, then Dense(512) and a softmax. Here each of those four
convolutions is a ``network.Residual`` block added with ``model.add(...)``; the first
block of each width projects its input with a 1x1 convolution (``projection=True``)
because the channel count changes (3 -> 32, 32 -> 64).

    python examples/cifar10_residual.py                 # real CIFAR-10 (downloads once)
    python examples/cifar10_residual.py --synthetic     # offline, random images
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from network import Residual  # noqa: E402

NUM_CLASSES = 10
IMAGE_SHAPE = (32, 32, 3)


def build_cifar_model(num_classes: int = NUM_CLASSES) -> keras.Sequential:
    """The CIFAR-10 CNN with ``Residual`` blocks: ``float32[B, 32, 32, 3] -> softmax[B, 10]``."""
    model = keras.Sequential(name="cifar10_residual")
    model.add(keras.Input(shape=IMAGE_SHAPE))
    model.add(Residual(32, (3, 3), projection=True))
    model.add(Residual(32, (3, 3)))
    model.add(layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(layers.Dropout(0.25))
    model.add(Residual(64, (3, 3), projection=True))
    model.add(Residual(64, (3, 3)))
    model.add(layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(layers.Dropout(0.25))
    model.add(layers.Flatten())
    model.add(layers.Dense(512, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(num_classes, activation="softmax"))
    return model


def load_data(synthetic: bool, samples: int, seed: int = 0
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((x_train, y_train), (x_test, y_test))``: images float32 in [0, 1], labels int.

    ``synthetic``: ``samples`` random images (and a quarter as many test images) whose
    mean brightness depends on the label, so there is something to learn offline.
    """
    if synthetic:
        rng = np.random.default_rng(seed)

        def make(n: int) -> tuple[np.ndarray, np.ndarray]:
            y = rng.integers(0, NUM_CLASSES, n)
            x = rng.random((n, *IMAGE_SHAPE), dtype=np.float32) * 0.5
            x += (y / NUM_CLASSES).astype(np.float32).reshape(n, 1, 1, 1) * 0.5
            return x, y

        return make(samples), make(max(1, samples // 4))
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    return ((x_train.astype(np.float32) / 255.0, y_train.ravel()),
            (x_test.astype(np.float32) / 255.0, y_test.ravel()))


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Train and evaluate; returns the test metrics ``{"loss", "accuracy"}``."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", action="store_true",
                        help="random images instead of CIFAR-10 (no download)")
    parser.add_argument("--samples", type=int, default=512,
                        help="synthetic training images (default 512)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=None,
                        help="stop each epoch after this many batches")
    parser.add_argument("--save", type=Path, default=None, help="write the model (.keras)")
    args = parser.parse_args(argv)
    try:
        (x_train, y_train), (x_test, y_test) = load_data(args.synthetic, args.samples)
    except Exception as exc:  # no network, no cache: say what to do instead
        parser.exit(1, f"cannot load CIFAR-10 ({exc}); run with --synthetic to train "
                       f"offline on random images\n")
    model = build_cifar_model()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-4),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
              steps_per_epoch=args.steps, validation_data=(x_test, y_test), verbose=2)
    metrics = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    print(f"test loss {metrics['loss']:.4f}, test accuracy {metrics['accuracy']:.4f}")
    if args.save is not None:
        model.save(args.save)
    return {k: float(v) for k, v in metrics.items()}


if __name__ == "__main__":
    main()
