try { module.exports = require("@tensorflow/tfjs-node"); } catch { module.exports = require("@tensorflow/tfjs"); }
