"""workcomp: data warehouse for work-injury insurance (工伤保险) administration."""

__version__ = "0.1.0"
