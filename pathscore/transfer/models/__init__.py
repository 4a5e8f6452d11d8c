from pathscore.transfer.models.batches import ImportBatch

__all__ = ["ImportBatch"]
