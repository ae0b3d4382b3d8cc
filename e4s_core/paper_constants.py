"""Constants from the E4S paper and its supplement, in one place.

Training (supplement section 2): L = L_mse + 0.8 L_lpips + 0.1 L_id + 0.1 L_parsing + 0.01 L_adv,
Adam at lr 1e-4, the discriminator updated every 15th step. Optimisation phase (supplement
section 5): the region vectors by Adam, lr 1e-2, 50 steps; generator fine-tuning as done for
video: lr 1e-3, 200 steps.
"""

MSE_WEIGHT = 1.0
PERCEPTUAL_WEIGHT = 0.8  # lambda_1
IDENTITY_WEIGHT = 0.1  # lambda_2
PARSING_WEIGHT = 0.1  # lambda_3
ADVERSARIAL_WEIGHT = 0.01  # lambda_adv

TRAIN_LR = 1e-4
DISCRIMINATOR_EVERY = 15
PERCEPTUAL_SCALES = 3  # LPIPS summed at 1024, 512 and 256 px

FIT_VECTORS_LR = 1e-2
FIT_VECTORS_STEPS = 50
FINETUNE_LR = 1e-3
FINETUNE_STEPS = 200
