"""The networks reinforcement-learning agents (`zoo.rl`) train: Q-networks for DQN. They are
registered like every model, swept, saved and exported; what trains them is an agent acting in
an environment, not `zoo.train`."""
