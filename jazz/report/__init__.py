"""What people read and look at: model cards, evaluation reports, training curves and piano rolls."""
