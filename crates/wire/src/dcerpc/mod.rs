//! TODO: DCE/RPC connection-oriented PDUs, NDR and the endpoint mapper (being written).
