"""Tic-tac-toe, a perfect (minimax) player, and a player learned by self-play.

The game is Sutton and Barto's first example of reinforcement learning: Sutton and Barto
(2018), "Reinforcement Learning: An Introduction", 2nd ed., MIT Press, section 1.5. The
learner here is their Q-learning (chapter 6.5, Watkins 1989) made two-player in the negamax
way: Q(s, a) is the value of move a for the player about to move in position s, so one table
serves both sides, and the value of the position that follows is the opponent's best value,
negated.

A board is a tuple of 9 cells, row by row (index 0 is the top left corner, 8 the bottom
right): 0 empty, 1 = X, -1 = O. X moves first, so who is to move follows from the board.
An outcome is 1 (X won), -1 (O won), 0 (a draw) or None (the game goes on).

Every player has `choose(board, rng) -> move` and `best_moves(board)`, the moves it
considers equally good; `choose` picks among them with `rng`, a `np.random.Generator`, so
that everything random comes from one seeded generator: the same seed gives the same table
(`self_play`) and the same games (`match`).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from zoo import _validate

EMPTY_BOARD = (0,) * 9
# The marks, by their noughts-and-crosses names: a lone `O` reads too much like an empty 0.
CROSS, NOUGHT = 1, -1
LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8),  # rows
         (0, 3, 6), (1, 4, 7), (2, 5, 8),  # columns
         (0, 4, 8), (2, 4, 6))             # diagonals


def to_move(board) -> int:
    """X (1) when both sides have as many marks, else O (-1)."""
    return CROSS if sum(board) == 0 else NOUGHT


def legal_moves(board) -> tuple[int, ...]:
    """The empty cells; none once the game is over."""
    if outcome(board) is not None:
        return ()
    return _empty_cells(board)


def outcome(board) -> int | None:
    """1 if X has three in a line, -1 if O has, 0 for a full board without one (a draw),
    None while the game goes on."""
    for a, b, c in LINES:
        if board[a] != 0 and board[a] == board[b] == board[c]:
            return int(board[a])
    return 0 if 0 not in board else None


def apply_move(board, move) -> tuple[int, ...]:
    """The board after the player to move marks cell `move`, or a ValueError that names the
    move and the board when the cell is outside 0..8 or taken, or the game is over. `board`
    is any sequence of 9 cells that a game can reach."""
    board = _checked_board(board)
    if isinstance(move, (bool, np.bool_)) or not isinstance(move, (int, np.integer)) \
            or not 0 <= move <= 8:
        raise ValueError(f"move={move!r} is not a cell of the board {board}: a move is an "
                         "integer in 0..8.")
    if outcome(board) is not None:
        raise ValueError(f"move={move!r} on the board {board}: the game is over (outcome "
                         f"{outcome(board)}), no move is legal.")
    if board[move] != 0:
        raise ValueError(f"move={move!r} on the board {board}: cell {move} is taken; the "
                         f"legal moves are {_empty_cells(board)}.")
    return _after(board, int(move))


def _checked_board(board) -> tuple[int, ...]:
    cells = tuple(board)
    if len(cells) != 9 or not set(cells) <= {0, CROSS, NOUGHT} or sum(cells) not in (0, CROSS):
        raise ValueError(f"board={cells!r} is not a tic-tac-toe board: 9 cells of 0 (empty), "
                         "1 (X) or -1 (O), with as many Xs as Os or one X more.")
    return tuple(int(cell) for cell in cells)


def _empty_cells(board) -> tuple[int, ...]:
    return tuple(cell for cell in range(9) if board[cell] == 0)


def _after(board, move: int) -> tuple[int, ...]:
    """`apply_move` without the checks, for the search and the learner's inner loops."""
    return board[:move] + (to_move(board),) + board[move + 1:]


def _pick(moves, rng: np.random.Generator, board) -> int:
    if not moves:
        raise ValueError(f"board={tuple(board)!r}: the game is over (outcome "
                         f"{outcome(board)}), there is no move to choose.")
    return moves[0] if len(moves) == 1 else moves[int(rng.integers(len(moves)))]


class RandomPlayer:
    """Any legal move, uniformly."""

    def best_moves(self, board) -> tuple[int, ...]:
        return legal_moves(board)

    def choose(self, board, rng: np.random.Generator) -> int:
        return _pick(self.best_moves(board), rng, board)


@functools.cache
def _negamax(board: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """(value, best moves) of a position that is not over, for the player to move.

    A win scores 1 + the cells still empty after it and a loss the negative, so that among
    winning moves the quickest is best and, when every move loses, the slowest loss (which
    blocks the threat in front of it) is best; a draw scores 0. Cached: tic-tac-toe has 4,520
    positions still in play, so the whole tree is searched once per process."""
    best_value, best = -math.inf, []
    for move in _empty_cells(board):
        child = _after(board, move)
        result = outcome(child)
        if result is None:
            value = -_negamax(child)[0]
        else:  # only the player who just moved can have won
            value = abs(result) * (1 + child.count(0))
        if value > best_value:
            best_value, best = value, [move]
        elif value == best_value:
            best.append(move)
    return best_value, tuple(best)


class MinimaxPlayer:
    """Perfect play: a move of the best value, searched over the whole game tree. Minimax
    (von Neumann 1928, "Zur Theorie der Gesellschaftsspiele", Math. Ann. 100) written as
    negamax, one function for both sides since a position's value to one player is minus its
    value to the other (Knuth and Moore 1975, "An analysis of alpha-beta pruning", Artificial
    Intelligence 6(4)). Among equally good moves it picks at random, so that it is a varied
    opponent that never errs."""

    def best_moves(self, board) -> tuple[int, ...]:
        board = tuple(board)
        return _negamax(board)[1] if outcome(board) is None else ()

    def choose(self, board, rng: np.random.Generator) -> int:
        return _pick(self.best_moves(board), rng, board)


class LearnedPlayer:
    """Greedy play from a learned Q table: `table[board][move]` is the value of `move` for
    the player to move on `board` (+1 a win, 0 a draw, -1 a loss once learned), and the
    player takes a move of the highest value, at random among equal ones.

    A position missing from the table (never met while learning) has every move at 0, the
    value the learner starts from, so the player then moves at random: it knows nothing
    better, and a fallback that searched the tree would make it a minimax player in
    disguise. `unseen_positions` counts such positions met, so that a match can show the
    table covered the positions its opponent led to."""

    def __init__(self, table: dict):
        self.table = table
        self.unseen_positions = 0

    def best_moves(self, board) -> tuple[int, ...]:
        board = tuple(board)
        values = self.table.get(board)
        if values is None:
            return legal_moves(board)
        return _greedy(values)

    def choose(self, board, rng: np.random.Generator) -> int:
        board = tuple(board)
        if board not in self.table and outcome(board) is None:
            self.unseen_positions += 1
        return _pick(self.best_moves(board), rng, board)


def _greedy(values: dict) -> tuple[int, ...]:
    best = max(values.values())
    return tuple(move for move, value in values.items() if value == best)


def self_play(games: int = 80_000, learning_rate: float = 0.5, epsilon: float = 1.0,
              final_epsilon: float = 0.2, seed: int = 0) -> LearnedPlayer:
    """A LearnedPlayer from `games` games of Q-learning against itself.

    Both sides take an epsilon-greedy move from the one table: at random with probability
    epsilon, which falls linearly from `epsilon` in the first game to `final_epsilon` in the
    last, else greedily. Exploring keeps every move of the positions a careless opponent
    leads to in the table; the floor keeps doing so once greedy play has settled, since
    self-play alone would only ever meet perfect replies.

    After each game its moves are updated last first, each towards its negamax target: the
    reward when the move ends the game (1 for the win, 0 for a draw), else minus the
    opponent's best value in the position it leads to. Going backwards is still Q-learning,
    but a game's ending reaches its opening in that game rather than one move per game.

    The defaults learn in about 2 s of one shared CPU core, and with margin: checked over
    the whole game tree (every reply, every tied move), tables from 50,000 games had a
    losing line as O for 2 seeds of 60, those from 80,000 games for none of 200.

    Everything random comes from `np.random.default_rng(seed)`: the same arguments give the
    same table."""
    _validate.positive_int("games", games)
    _validate.positive("learning_rate", learning_rate)
    _validate.probability("epsilon", epsilon)
    _validate.probability("final_epsilon", final_epsilon)
    rng = np.random.default_rng(seed)
    table: dict[tuple[int, ...], dict[int, float]] = {}
    for game in range(games):
        explore = epsilon + (final_epsilon - epsilon) * game / max(games - 1, 1)
        board, history = EMPTY_BOARD, []
        while True:
            values = table.get(board)
            if values is None:
                values = table[board] = dict.fromkeys(_empty_cells(board), 0.0)
            move = _pick(tuple(values) if rng.random() < explore else _greedy(values), rng, board)
            child = _after(board, move)
            history.append((values, move, child))
            result = outcome(child)
            if result is not None:
                break
            board = child
        for values, move, child in reversed(history):
            result = outcome(child)
            target = abs(result) if result is not None else -max(table[child].values())
            values[move] += learning_rate * (target - values[move])
    return LearnedPlayer(table)


def play(x_player, o_player, rng: np.random.Generator) -> int:
    """One game, X first; the outcome: 1 X won, -1 O won, 0 a draw. An illegal move raises
    the ValueError of `apply_move`."""
    board = EMPTY_BOARD
    while (result := outcome(board)) is None:
        player = x_player if to_move(board) == CROSS else o_player
        board = apply_move(board, player.choose(board, rng))
    return result


def match(player, opponent, games: int = 1_000, seed: int = 0) -> dict[str, int]:
    """`games` games of `player` against `opponent`, `player` X in the even-numbered games
    and O in the others (so half each, X one more when `games` is odd). Returns the wins,
    draws and losses of `player`. Every choice comes from `np.random.default_rng(seed)`: the
    same players and seed give the same results."""
    _validate.positive_int("games", games)
    rng = np.random.default_rng(seed)
    results = {"wins": 0, "draws": 0, "losses": 0}
    for game in range(games):
        side = CROSS if game % 2 == 0 else NOUGHT
        pair = (player, opponent) if side == CROSS else (opponent, player)
        result = play(*pair, rng) * side
        results["wins" if result > 0 else "losses" if result < 0 else "draws"] += 1
    return results
