"""Placeholder CLI; replaced by the real one."""


def main() -> None:
    print("lynkr")
