"""The image build's side of os-tooling: build inputs from the manifest (``build-vars``) and
the images a tooling version needs for the live cluster releases (``build-matrix``)."""
