"""The benchmark: tap-litmos beside a plain Singer SDK tap, on a fake Litmos site."""
