"""Tic-tac-toe: the rules, the minimax player, and the player learned by self-play, which
must never lose to a random player and draw with a perfect one, the same seed giving the
same table and games."""

import numpy as np
import pytest

from zoo.rl import tictactoe
from zoo.rl.tictactoe import (
    EMPTY_BOARD,
    LINES,
    LearnedPlayer,
    MinimaxPlayer,
    RandomPlayer,
    apply_move,
    legal_moves,
    match,
    outcome,
    play,
    self_play,
    to_move,
)

_ = 0  # an empty cell, so that the hand-built boards below read as boards
X, O = tictactoe.CROSS, tictactoe.NOUGHT  # noqa: E741 (the boards read better so)


def _board(*cells):
    assert len(cells) == 9
    return tuple(cells)


def _play_out(*moves):
    board = EMPTY_BOARD
    for move in moves:
        board = apply_move(board, move)
    return board


# The rules.

@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize("mark", [X, O])
def test_three_in_any_row_column_or_diagonal_wins(line, mark):
    board = [0] * 9
    for cell in line:
        board[cell] = mark
    assert outcome(tuple(board)) == mark


def test_a_full_board_without_a_line_is_a_draw():
    board = _board(X, O, X,
                   X, O, O,
                   O, X, X)
    assert outcome(board) == 0
    assert legal_moves(board) == ()


def test_a_game_goes_on_and_the_marks_alternate_x_first():
    board = _play_out(4, 0)
    assert board == _board(O, _, _,
                           _, X, _,
                           _, _, _)
    assert outcome(board) is None
    assert to_move(board) == X
    assert legal_moves(board) == (1, 2, 3, 5, 6, 7, 8)


def test_a_won_game_has_no_legal_moves():
    board = _play_out(0, 3, 1, 4, 2)  # X takes the top row
    assert outcome(board) == X
    assert legal_moves(board) == ()


@pytest.mark.parametrize("board,move,message", [
    (_play_out(4), 4, r"move=4 on the board \(0, 0, 0, 0, 1, 0, 0, 0, 0\): cell 4 is taken"),
    (EMPTY_BOARD, 9, r"move=9 is not a cell of the board .*integer in 0\.\.8"),
    (EMPTY_BOARD, -1, r"move=-1 is not a cell"),
    (EMPTY_BOARD, 2.0, r"move=2\.0 is not a cell"),
    (_play_out(0, 3, 1, 4, 2), 5, r"move=5 on the board .*the game is over"),
    ((1, 1, 0, 0, 0, 0, 0, 0, 0), 2, r"board=\(1, 1, 0, .*\) is not a tic-tac-toe board"),
    ((0,) * 8, 2, r"board=.* is not a tic-tac-toe board: 9 cells"),
])
def test_an_illegal_move_names_the_move_and_the_board(board, move, message):
    with pytest.raises(ValueError, match=message):
        apply_move(board, move)


@pytest.mark.parametrize("arguments,message", [
    ({"games": 0}, r"games=0 must be a positive integer"),
    ({"epsilon": 1.5}, r"epsilon=1\.5 must be a probability in \[0, 1\]"),
    ({"final_epsilon": -0.1}, r"final_epsilon=-0\.1 must be a probability in \[0, 1\]"),
    ({"learning_rate": 0}, r"learning_rate=0 must be a positive number"),
])
def test_self_play_refuses_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        self_play(**arguments)


def test_no_player_moves_once_the_game_is_over():
    board = _play_out(0, 3, 1, 4, 2)
    for player in (RandomPlayer(), MinimaxPlayer(), LearnedPlayer({})):
        with pytest.raises(ValueError, match=r"the game is over \(outcome 1\), there is no"):
            player.choose(board, np.random.default_rng(0))


def test_a_numpy_board_is_a_board():
    board = np.array(_play_out(4, 0))
    assert to_move(board) == X and outcome(board) is None
    assert apply_move(board, np.int64(8)) == _play_out(4, 0, 8)
    assert MinimaxPlayer().best_moves(board) == MinimaxPlayer().best_moves(tuple(board))


def test_match_refuses_no_games():
    with pytest.raises(ValueError, match=r"games=0 must be a positive integer"):
        match(RandomPlayer(), RandomPlayer(), games=0)


def test_match_alternates_sides_x_first():
    class FirstFreeCell:
        def choose(self, board, rng):
            return legal_moves(board)[0]

    # Two such players: X takes 0, 2, 4, 6 and wins on the diagonal 2-4-6, so the player
    # wins exactly the games it plays as X: the first, third and fifth of five.
    assert play(FirstFreeCell(), FirstFreeCell(), np.random.default_rng(0)) == X
    results = match(FirstFreeCell(), FirstFreeCell(), games=5)
    assert results == {"wins": 3, "draws": 0, "losses": 2}


# The minimax player.

def test_perfect_play_against_itself_always_draws():
    assert match(MinimaxPlayer(), MinimaxPlayer(), games=20, seed=0)["draws"] == 20


def test_minimax_never_loses_to_a_random_player():
    assert match(MinimaxPlayer(), RandomPlayer(), games=200, seed=0)["losses"] == 0


def test_minimax_takes_an_immediate_win():
    # X to move wins at 5 now; 1, 2, 6 and 7 win too, but only moves later.
    board = _board(O, _, _,
                   X, X, _,
                   _, _, O)
    assert MinimaxPlayer().best_moves(board) == (5,)


def test_minimax_blocks_an_immediate_loss():
    # O to move: X threatens the diagonal 0-4-8 and O has no line to finish, so O takes 8
    # (and then holds the draw).
    board = _board(X, _, O,
                   _, X, _,
                   _, _, _)
    assert to_move(board) == O
    assert MinimaxPlayer().best_moves(board) == (8,)


def test_minimax_breaks_ties_at_random():
    # Every opening draws, so the first move depends only on the seed.
    first_moves = {MinimaxPlayer().choose(EMPTY_BOARD, np.random.default_rng(seed))
                   for seed in range(30)}
    assert len(first_moves) > 3


# The learned player, trained with the defaults, once per seed for the module.

@pytest.fixture(scope="module", params=[0, 1])
def learned(request):
    return self_play(seed=request.param)


def _losses_against_any_replies(player, side):
    """How many ways `player`, on `side`, can lose: every reply of the opponent and every
    move `player` rates best is followed (positions shared by lines are counted once)."""
    losses = {}

    def walk(board):
        if board not in losses:
            result = outcome(board)
            if result is not None:
                losses[board] = int(result == -side)
            else:
                moves = player.best_moves(board) if to_move(board) == side else legal_moves(board)
                losses[board] = sum(walk(apply_move(board, move)) for move in moves)
        return losses[board]

    return walk(EMPTY_BOARD)


def test_learned_player_never_loses_to_a_random_player(learned):
    learned.unseen_positions = 0
    results = match(learned, RandomPlayer(), games=1_000, seed=0)
    assert results["losses"] == 0, results
    assert learned.unseen_positions == 0  # every position it met was in its table


def test_learned_player_draws_every_game_against_minimax(learned):
    results = match(learned, MinimaxPlayer(), games=100, seed=0)
    assert results == {"wins": 0, "draws": 100, "losses": 0}


@pytest.mark.parametrize("side", [X, O])
def test_learned_player_cannot_be_beaten_by_any_line_of_play(learned, side):
    # Stronger than the sampled matches above: the whole game tree its moves allow.
    assert _losses_against_any_replies(learned, side) == 0


def test_learned_player_wins_where_anything_else_loses(learned):
    # X wins at 2; every other move but 5 lets O win at 5, and 5 only draws.
    board = _board(X, X, _,
                   O, O, _,
                   _, _, _)
    assert learned.best_moves(board) == (2,)
    assert learned.table[board][2] == pytest.approx(1.0)


def test_an_unseen_position_is_played_at_random_and_counted():
    player = LearnedPlayer({})
    moves = {player.choose(EMPTY_BOARD, np.random.default_rng(seed)) for seed in range(30)}
    assert len(moves) > 3
    assert player.unseen_positions == 30


# Seeding.

def test_the_same_seed_gives_the_same_table_and_games():
    first, second = self_play(games=3_000, seed=5), self_play(games=3_000, seed=5)
    assert first.table == second.table
    assert (match(first, RandomPlayer(), games=200, seed=9)
            == match(second, RandomPlayer(), games=200, seed=9))


def test_a_different_seed_learns_along_a_different_path():
    assert self_play(games=3_000, seed=5).table != self_play(games=3_000, seed=6).table
