"""Reinforcement learning (issue 15): the one family `fit` cannot train, because its data
comes from acting in an environment. Agents live here, beside `zoo.train`; the networks deep
agents use are registered factories in `zoo.models.rl`.

- `zoo.rl.environments`: gymnasium environments made by id, seeded, with the spaces an agent
  can handle checked up front.
- `zoo.rl.bandits`: the 10-armed testbed and the greedy, epsilon-greedy, UCB and gradient
  bandit agents of Sutton and Barto, chapter 2.
- `zoo.rl.tabular`: Q-learning and SARSA on discrete environments (FrozenLake,
  CliffWalking, Taxi).
- `zoo.rl.tictactoe`: tic-tac-toe, a perfect (minimax) player, and a player learned by
  self-play.
- `zoo.rl.dqn`: DQN and double DQN, on `zoo.rl.replay`'s experience replay.
- `zoo.rl.policy_gradient`: REINFORCE with a baseline, A2C and PPO, on `zoo.rl.rollouts`
  (environments stepped together, generalised advantage estimation); `zoo.rl.a3c`, the
  asynchronous workers of A3C.
- `zoo.rl.optimizers`: RMSprop and Adam in PyTorch's form, in which the policy-gradient
  agents update as Stable-Baselines3's do.
- `zoo.rl.tuned`: the RL Zoo's settings for CartPole-v1, Acrobot-v1 and LunarLander-v3,
  which the agents take when they are made for those environments.
- `zoo.rl.evaluation`: many episodes of a policy played side by side, to judge it;
  `zoo.rl.checkpoints`, the progress and variables every agent checkpoints;
  `zoo.rl.softmax`, sampling actions from preferences or logits.
"""
