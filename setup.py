# Copyright 2026 The tfvae Authors. Licensed under the Apache License, Version 2.0.
"""Installs tfvae."""

import pathlib
import re

import setuptools

_HERE = pathlib.Path(__file__).parent
_VERSION = re.search(
  r"^__version__ = '([^']+)'", (_HERE / 'tfvae' / '__init__.py').read_text(), re.M
).group(1)

setuptools.setup(
  name='tfvae',
  version=_VERSION,
  description='Variational autoencoders whose networks are distributions (TensorFlow Probability).',
  long_description=(_HERE / 'README.md').read_text(),
  long_description_content_type='text/markdown',
  license='Apache-2.0',
  packages=setuptools.find_packages(include=['tfvae', 'tfvae.*']),
  package_data={'tfvae.data': ['*.npz', 'README.md']},
  python_requires='>=3.11',
  install_requires=[
    'absl-py>=2.1,<3',
    'numpy>=1.26,<3',
    'tensorboard>=2.21,<2.22',
    'tensorflow>=2.21,<2.22',
    'tensorflow-probability>=0.25,<0.26',
    'tf-keras>=2.21,<2.22',
  ],
  extras_require={
    'plot': ['matplotlib>=3.8'],
    'serving': ['tensorflow-serving-api>=2.21,<2.22'],
    'test': [
      'matplotlib>=3.8',
      'pytest>=8',
      'pytest-xdist>=3.5',
      'ruff>=0.6',
      'scikit-learn>=1.3',
      'scipy>=1.11',
      'tensorflow-serving-api>=2.21,<2.22',
    ],
  },
  entry_points={
    'console_scripts': [
      'tfvae-evaluate=tfvae.evaluate:run',
      'tfvae-export=tfvae.export:run',
      'tfvae-score=tfvae.score:run',
      'tfvae-train=tfvae.train:run',
    ]
  },
  classifiers=[
    'Programming Language :: Python :: 3.11',
    'Topic :: Scientific/Engineering :: Artificial Intelligence',
  ],
)
