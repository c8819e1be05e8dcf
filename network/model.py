"""``build_model``: input planes -> stem -> ``blocks`` x ``Residual`` -> heads, a Sequential.

The model maps ``float32[B, N, N, C]`` planes (C = 2H + 1, plus 3 with liberty planes; see
``network.features``) to
``{"policy": logits[B, N*N + 1], "value": tanh[B, 1]}``, the value from the point of view
of the player to move, plus ``ownership`` and ``score`` with ``auxiliary_heads`` (see
``network.heads``). With ``global_pooling_every = k`` every k-th block is a
``GlobalPoolingResidual``. Only the Keras API is used, so it runs on any Keras backend.
"""

from __future__ import annotations

import keras
from keras import layers

from network.config import NetworkConfig
from network.dtype_policy import dtype_policy
from network.global_pooling import GlobalPoolingResidual
from network.heads import PolicyValueHead
from network.residual import Residual


def build_model(config: NetworkConfig, precision: str | None = None) -> keras.Sequential:
    """The AlphaGo Zero tower described by ``config``, built and ready to call.

    Layers: ``planes`` input, ``stem_conv`` (k x k, ``filters``, no bias), ``stem_bn``,
    ``stem_relu``, ``residual_1 .. residual_<blocks>``, ``heads``.

    ``precision`` (``network.precision.PRECISIONS``): every layer gets that dtype policy
    (``"bfloat16"`` = ``mixed_bfloat16``: float32 weights, bfloat16 arithmetic), whatever
    Keras' global policy says; ``None`` (default) leaves the layers on the global policy
    (float32 unless ``backend.configure(mixed_precision=...)`` changed it). The outputs are
    float32 in every precision.
    """
    if not isinstance(config, NetworkConfig):
        raise TypeError(f"build_model needs a NetworkConfig, got {type(config).__name__}")
    policy = None if precision is None else dtype_policy(precision)
    n, k = config.board_size, config.kernel_size
    model = keras.Sequential(name=f"zerogo_{config.name}_{n}x{n}")
    model.add(keras.Input(shape=(n, n, config.input_planes), name="planes"))
    model.add(layers.Conv2D(config.filters, k, padding="same", use_bias=False,
                            kernel_initializer="he_normal", dtype=policy, name="stem_conv"))
    model.add(layers.BatchNormalization(momentum=config.bn_momentum, dtype=policy,
                                        name="stem_bn"))
    model.add(layers.ReLU(dtype=policy, name="stem_relu"))
    for i in range(config.blocks):
        if config.is_global_pooling_block(i + 1):
            model.add(GlobalPoolingResidual(
                config.filters, (k, k), pooled_channels=config.pooled_channels,
                bn_momentum=config.bn_momentum, dtype=policy, name=f"residual_{i + 1}"))
        else:
            model.add(Residual(config.filters, (k, k), bn_momentum=config.bn_momentum,
                               dtype=policy, name=f"residual_{i + 1}"))
    model.add(PolicyValueHead(
        policy_filters=config.policy_filters, policy_head=config.policy_head,
        value_filters=config.value_filters,
        value_hidden=config.value_hidden, bn_momentum=config.bn_momentum,
        auxiliary=config.auxiliary_heads, dtype=policy, name="heads"))
    return model


def network_config_of(model: keras.Model) -> NetworkConfig:
    """Read the ``NetworkConfig`` back from a model made by ``build_model`` (or loaded).

    Raises ``ValueError`` naming what does not look like a ``build_model`` tower.
    """
    shape = model.input_shape
    if not (isinstance(shape, tuple) and len(shape) == 4 and shape[1] == shape[2]
            and shape[3] is not None and shape[3] >= (3 if shape[3] % 2 else 6)):
        raise ValueError(
            f"model {model.name!r} does not take [B, N, N, 2H+1] planes: input shape {shape}")
    # 2H + 1 planes is odd; the 3 liberty planes make it even (network.features).
    liberty_planes = shape[3] % 2 == 0
    history = (int(shape[3]) - 1 - (3 if liberty_planes else 0)) // 2
    heads = [layer for layer in model.layers if isinstance(layer, PolicyValueHead)]
    blocks = [layer for layer in model.layers if isinstance(layer, Residual)]
    stems = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
    stem_bns = [layer for layer in model.layers if isinstance(layer, layers.BatchNormalization)]
    if len(heads) != 1 or not stems or not stem_bns:
        raise ValueError(
            f"model {model.name!r} is not a build_model tower (layers: "
            f"{[layer.name for layer in model.layers]})")
    head = heads[0]
    pooling = [i + 1 for i, layer in enumerate(blocks)
               if isinstance(layer, GlobalPoolingResidual)]
    every = pooling[0] if pooling else 0
    if pooling != [i for i in range(1, len(blocks) + 1) if every and i % every == 0]:
        raise ValueError(
            f"model {model.name!r} has global-pooling blocks at {pooling}, not every k-th "
            f"block as build_model places them")
    return NetworkConfig(
        board_size=int(shape[1]), blocks=len(blocks), filters=int(stems[0].filters),
        history_length=history, kernel_size=int(stems[0].kernel_size[0]),
        policy_filters=head.policy_filters, policy_head=head.policy_head,
        value_filters=head.value_filters,
        value_hidden=head.value_hidden, bn_momentum=float(stem_bns[0].momentum),
        auxiliary_heads=bool(getattr(head, "auxiliary", False)), global_pooling_every=every,
        pooled_channels=blocks[every - 1].pooled_channels if pooling else 16,
        liberty_planes=liberty_planes)
