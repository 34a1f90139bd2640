// Importing this module registers every custom layer class with tfjs serialization, so that any saved
// model (model-io.ts) can be loaded in a process that has not built one yet.
import './windowing.ts';
import './channel-group-max-pool.ts';
import './grouped-conv2d.ts';
import './categorical-embedding.ts';
import './probability-mean.ts';
