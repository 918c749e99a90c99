"""Unpaired translation between two Fashion-MNIST classes, a
`zoo.generative.cyclegan.CycleGAN` (Zhu, Park, Isola and Efros, 2017): sneakers to ankle boots
and back, learned from the two piles of images with no sneaker ever paired with a boot. Its
data are `(sneakers, ankle boots)` batches (`zoo.data.load(..., domains=(7, 9))`);
`benchmarks/image_to_image.py` measures what the translations become and what they keep.
"""

from zoo.models._common import scaled_widths
from zoo.registry import Recipe, Reference, register, search_space

ZHU = Reference("Unpaired image-to-image translation using cycle-consistent adversarial "
                "networks", "Zhu, J.-Y., Park, T., Isola, P. and Efros, A. A.", 2017,
                "https://arxiv.org/abs/1703.10593")

SNEAKER, ANKLE_BOOT = 7, 9  # Fashion-MNIST's labels

# Zhu et al.'s optimiser (Adam at 2e-4, beta_1 = 0.5); no monitor, as for every GAN.
RECIPE = Recipe(loss="cycle_consistency", optimizer="adam", learning_rate=2e-4,
                optimizer_options={"beta_1": 0.5}, epochs=15, batch_size=64, monitor=None,
                dataset_options={"domains": (SNEAKER, ANKLE_BOOT)})


def cyclegan_space(hp) -> dict:
    """The networks' width (generators' 16-32-64 and critics' 32-64 filters scaled together),
    the generators' residual blocks, and the weights of the cycle-consistency and identity
    losses: the knobs Zhu et al. (2017) set (lambda = 10) and ablate, the identity weight
    from 0 up to their lambda / 2."""
    width = hp.Choice("width", [0.5, 1.0, 2.0], default=1.0)
    return {"filters": scaled_widths((16, 32, 64), width),
            "critic_filters": scaled_widths((32, 64), width),
            "residual_blocks": hp.Int("residual_blocks", 1, 6, default=3),
            "cycle_weight": hp.Choice("cycle_weight", [5.0, 10.0, 20.0], default=10.0),
            "identity_weight": hp.Choice("identity_weight", [0.0, 2.5, 5.0], default=5.0)}


@search_space(cyclegan_space)
@register("cyclegan_sneaker_to_boot", family="cyclegan", task="unpaired-translation",
          api="subclass", input_shape=(28, 28, 1), input_name="image",
          dataset="fashion_mnist", reference=ZHU, recipe=RECIPE)
def cyclegan_sneaker_to_boot(image_shape=(28, 28, 1), filters=(16, 32, 64),
                             residual_blocks=3, critic_filters=(32, 64), cycle_weight=10.0,
                             identity_weight=5.0, name="cyclegan_sneaker_to_boot"):
    """CycleGAN between Fashion-MNIST's sneakers (domain A) and ankle boots (B): two ResNet
    generators (a 7x7 stem, two stride-2 convolutions, three residual blocks, back up) and
    two PatchGAN critics, least-squares adversarial losses, cycle loss weighted 10 and
    identity loss 5. Called on sneakers, it returns boots; `translate(x, "b_to_a")` goes
    back."""
    from zoo.generative.cyclegan import CycleGAN

    return CycleGAN(image_shape, filters, residual_blocks, critic_filters, cycle_weight,
                    identity_weight, name=name)
