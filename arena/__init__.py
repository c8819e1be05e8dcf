"""Playing and rating matches: players, the one match loop, the referee between two GTP
programs, statistics (Wilson interval, Elo, maximum-likelihood ratings, SPRT), the evaluation
ladder and its plot. Imports no Ray.
"""
